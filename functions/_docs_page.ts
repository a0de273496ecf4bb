/**
 * The HTML of `GET /docs`: one self-contained page (inline CSS and script, nothing fetched but
 * this server's `/openapi.json`) that lists every operation with a "try it" form, and the problem
 * table that problem `type` URIs point into. An API-key field (kept in `sessionStorage` under
 * `facegate.apiKey`, shared with the web app at `/`, never put in a URL) adds
 * `Authorization: Bearer <key>` to every "try it" request. Served with a Content-Security-Policy
 * ({@linkcode docsCsp}) that runs only this page's own script and style, by a per-response nonce.
 *
 * @module
 */
import type { ProblemKind } from "./problem.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * The page's Content-Security-Policy: its inline script and style run by `nonce`, requests go to
 * this server only, nothing else loads, no framing.
 */
export function docsCsp(nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'";
}

/** A fresh nonce for one response (128 random bits, base64). */
export function newNonce(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toBase64();
}

/**
 * Renders the page.
 *
 * @param problems The code → status/title table.
 * @param nonce The nonce of the response's {@linkcode docsCsp}.
 * @returns The HTML document.
 */
export function docsPage(problems: Record<string, ProblemKind>, nonce: string): string {
  const rows = Object.entries(problems)
    .sort(([, a], [, b]) => a.status - b.status)
    .map(([code, p]) =>
      `<tr id="problem-${escape(code)}"><td><code>${escape(code)}</code></td>` +
      `<td>${p.status}</td><td>${escape(p.title)}</td></tr>`
    ).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>facegate API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style nonce="${nonce}">
body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
details{border:1px solid #ccc;border-radius:6px;margin:.5em 0;padding:.4em .8em}
summary{cursor:pointer}.m{display:inline-block;min-width:4.5em;font-weight:600}
.get{color:#0a6}.post{color:#05a}.delete{color:#c33}
label{display:block;margin:.3em 0}input[type=text],textarea{width:22em}
pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:28em}
.hint{color:#666}code{background:#f2f2f2;padding:0 .2em;border-radius:3px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}
</style></head><body>
<h1>facegate API</h1>
<p><a href="/">Web app</a> · <a href="/openapi.json">OpenAPI document</a></p>
<p><label>API key <input id="api-key" type="password" autocomplete="off" placeholder="fg_… (when keys are on)"></label>
<small>kept in this tab's sessionStorage, sent as <code>Authorization: Bearer</code></small></p>
<p id="intro">Loading <a href="/openapi.json">/openapi.json</a>&hellip;</p>
<div id="ops"></div>
<h2>Problems</h2>
<p>Errors are <code>application/problem+json</code> (RFC 9457) with a <code>code</code> and a
<code>request_id</code>; their <code>type</code> links to this table.</p>
<table><tr><th>code</th><th>status</th><th>title</th></tr>${rows}</table>
<script nonce="${nonce}">
"use strict";
const KEY_ITEM = "facegate.apiKey";
const keyInput = document.getElementById("api-key");
keyInput.value = sessionStorage.getItem(KEY_ITEM) || "";
keyInput.addEventListener("input", () => sessionStorage.setItem(KEY_ITEM, keyInput.value.trim()));
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const kid of kids) e.append(kid);
  return e;
};
// Markdown of the descriptions: \`code\`, **bold**, [text](link to this server or https).
function md(text) {
  const frag = document.createDocumentFragment();
  for (const part of String(text).split(/(\`[^\`]+\`|\\*\\*[^*]+\\*\\*|\\[[^\\]]+\\]\\([^)\\s]+\\))/)) {
    let m;
    if (/^\`.+\`$/.test(part)) frag.append(el("code", {}, part.slice(1, -1)));
    else if (/^\\*\\*.+\\*\\*$/.test(part)) frag.append(el("strong", {}, part.slice(2, -2)));
    else if ((m = /^\\[(.+)\\]\\((\\/[^)]*|https:[^)]*|#[^)]*)\\)$/.exec(part))) frag.append(el("a", { href: m[2] }, m[1]));
    else frag.append(part);
  }
  return frag;
}
// What a parameter takes: its values, range, default.
function hint(sc, long) {
  const bits = [];
  if (sc.enum) bits.push("one of " + sc.enum.join(", "));
  else if (sc.type) bits.push(sc.type + (sc.minimum !== undefined ? " " + sc.minimum + "\u2013" + (sc.maximum ?? "") : ""));
  if (sc.pattern && long) bits.push("pattern " + sc.pattern);
  if (sc.default !== undefined) bits.push("default " + sc.default);
  return bits.join("; ");
}
function operation(path, method, op) {
  const form = el("form");
  const params = op.parameters || [];
  for (const p of params) {
    const sc = p.schema || {};
    const field = sc.enum
      ? el("select", { name: "param:" + p.name }, el("option", { value: "" }, "(default)"),
        ...sc.enum.map((v) => el("option", { value: String(v) }, String(v))))
      : el("input", { type: "text", name: "param:" + p.name, placeholder: hint(sc) });
    form.append(el("label", {}, p.name + (p.in === "path" ? " (path) " : " (query) "), field,
      el("small", { class: "hint" }, " " + hint(sc, true)), el("br"),
      el("small", {}, md(p.description || ""))));
  }
  const content = (op.requestBody && op.requestBody.content) || {};
  const pair = !content["image/jpeg"] && content["multipart/form-data"];
  const files = pair ? ["a", "b"] : content["image/jpeg"] ? ["image"] : [];
  for (const f of files) {
    form.append(el("label", {}, f + " ", el("input", { type: "file", name: "file:" + f, accept: "image/jpeg,image/png,image/webp,image/heic,image/heif,image/avif,image/gif" })));
  }
  if (path.endsWith("/faces") && method === "post") {
    form.append(el("label", {}, "metadata (JSON object, optional) ", el("textarea", { name: "metadata", rows: "2" })));
  }
  const out = el("pre");
  form.append(el("button", { type: "submit" }, "Try it"), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    let url = path;
    const query = new URLSearchParams();
    for (const p of params) {
      const v = data.get("param:" + p.name);
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(v || ""));
      else if (v) query.set(p.name, v);
    }
    if ([...query].length) url += "?" + query;
    const init = { method: method.toUpperCase(), headers: {} };
    const key = keyInput.value.trim();
    if (key && (op.security || []).length) init.headers.authorization = "Bearer " + key;
    if (files.length) {
      const meta = data.get("metadata");
      if (files.length > 1 || meta) {
        const body = new FormData();
        for (const f of files) body.append(f, data.get("file:" + f));
        if (meta) body.append("metadata", meta);
        init.body = body;
      } else {
        const file = data.get("file:image");
        init.body = file;
        init.headers["content-type"] = file.type || "application/octet-stream";
      }
    }
    out.textContent = "…";
    const t0 = performance.now();
    const res = await fetch(url, init);
    const text = await res.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    out.textContent = res.status + " " + (res.headers.get("content-type") || "") + " (" +
      Math.round(performance.now() - t0) + " ms)\\n" + shown;
  });
  return el("details", {},
    el("summary", {}, el("span", { class: "m " + method }, method.toUpperCase()), path + " — " + (op.summary || "")),
    el("p", {}, md(op.description || "")), form);
}
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  document.getElementById("intro").replaceChildren(md(doc.info.description || ""));
  const ops = document.getElementById("ops");
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.append(operation(path, method, op));
  }
}).catch((err) => { document.getElementById("intro").textContent = "Cannot load /openapi.json: " + err; });
</script></body></html>`;
}
