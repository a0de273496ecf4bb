// facegate demo app: plain browser JavaScript, no build step, no third-party code.
// Talks to this server's API; the API key lives in sessionStorage, never in a URL.
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const KEY_ITEM = "facegate.apiKey";
const NAME_RE = /^[A-Za-z0-9_.@-]{1,128}$/;

const state = {
  photo: null,
  url: null,
  faces: [],
  selected: -1,
  stream: null,
  live: null,
  collections: {},
};

/** A problem answered by the API (RFC 9457), or a local mistake. */
class Problem extends Error {
  constructor(title, detail, status) {
    super(detail);
    this.title = title;
    this.status = status;
  }
}

/** The last request and its answer, for the JSON view and "copy as curl". */
let last = null;

/** Calls the API; resolves to the JSON body (null for 204) or rejects with a Problem. */
async function api(path, { method = "POST", body, type, quiet } = {}) {
  const headers = {};
  const key = $("key").value.trim();
  if (key) headers.authorization = `Bearer ${key}`;
  if (type) headers["content-type"] = type;
  let res;
  try {
    res = await fetch(path, { method, body, headers });
  } catch (err) {
    throw new Problem("Network error", String(err.message || err));
  }
  const text = res.status === 204 ? "" : await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!quiet) answered({ method, path, body, type, key, status: res.status, text: json ?? text });
  if (!res.ok) {
    throw new Problem(
      json?.title || `HTTP ${res.status}`,
      json?.detail || text.slice(0, 200),
      res.status,
    );
  }
  return res.status === 204 ? null : json;
}

const sh = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;
const fileName = (b) => b?.name || "photo.jpg";

/** The exact request as a curl command; the key as $FACEGATE_API_KEY unless `withKey`. */
function curlOf(r, withKey) {
  const parts = ["curl -sS", `-X ${r.method}`];
  if (r.key) {
    parts.push(
      withKey
        ? `-H ${sh(`authorization: Bearer ${r.key}`)}`
        : `-H "authorization: Bearer $FACEGATE_API_KEY"`,
    );
  }
  if (r.body instanceof FormData) {
    for (const [k, v] of r.body) {
      parts.push(`-F ${sh(typeof v === "string" ? `${k}=${v}` : `${k}=@${fileName(v)}`)}`);
    }
  } else if (r.body) {
    parts.push(`-H ${sh(`content-type: ${r.type}`)}`, `--data-binary @${sh(fileName(r.body))}`);
  }
  parts.push(sh(new URL(r.path, location.href).href));
  return parts.join(" ");
}

function answered(r) {
  last = r;
  $("answer-status").textContent = `${r.method} ${r.path} → ${r.status}`;
  $("json").textContent = typeof r.text === "string" ? r.text : JSON.stringify(r.text, null, 2);
  $("curl").textContent = curlOf(r, $("with-key").checked);
  $("answer").dataset.status = String(r.status);
}
$("with-key").addEventListener("change", () => last && answered(last));
$("copy-curl").addEventListener("click", () => {
  if (!last) return;
  const text = curlOf(last, $("with-key").checked);
  $("curl").textContent = text;
  navigator.clipboard?.writeText(text).catch(() => {});
});

const collection = () => {
  const c = $("collection").value.trim();
  if (!NAME_RE.test(c)) throw new Problem("Invalid collection", "Use letters, digits and _.@-");
  return encodeURIComponent(c);
};
const nameOf = (id, what) => {
  const n = $(id).value.trim();
  if (!NAME_RE.test(n)) throw new Problem(`Invalid ${what}`, "Use 1–128 letters, digits and _.@-");
  return n;
};
const fixed = (v, d = 3) => Number(v).toFixed(d);

/** Shows a result: `lines` are [label, value] rows; `verdict` a big yes/no; `bar` a distance. */
function show(kind, lines, verdict, bar) {
  const out = $("result");
  out.replaceChildren();
  out.className = kind;
  out.dataset.kind = kind;
  if (verdict) {
    const v = document.createElement("p");
    v.className = `verdict ${verdict.ok ? "yes" : "no"}`;
    v.textContent = verdict.text;
    out.dataset.verdict = verdict.ok ? "yes" : "no";
    out.append(v);
  } else delete out.dataset.verdict;
  const dl = document.createElement("dl");
  for (const [k, v] of lines) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    dl.append(dt, dd);
  }
  out.append(dl);
  if (bar) out.append(distanceBar(bar.distance, bar.threshold));
}

/** The distance on a bar, the threshold marked: how close the call was. */
function distanceBar(distance, threshold) {
  const max = Math.max(1.6, distance * 1.05);
  const bar = document.createElement("div");
  bar.className = `bar ${distance <= threshold ? "yes" : "no"}`;
  const fill = document.createElement("span");
  const mark = document.createElement("i");
  fill.style.width = `${(100 * distance) / max}%`;
  mark.style.left = `${(100 * threshold) / max}%`;
  bar.append(fill, mark);
  const gap = threshold - distance;
  bar.title = `distance ${fixed(distance)} is ${fixed(Math.abs(gap))} ${
    gap >= 0 ? "under" : "over"
  } the threshold ${fixed(threshold)}`;
  const p = document.createElement("p");
  p.className = "hint";
  p.textContent = bar.title;
  const wrap = document.createElement("div");
  wrap.append(bar, p);
  return wrap;
}

/** Where a decision's threshold came from, in words. */
function thresholdSource(r, kind, far) {
  if (r.threshold_source === "request") return far ? `request (FAR ${far})` : "request";
  const p = state.collections[$("collection").value.trim()]?.policy?.[kind];
  if (p?.source === "policy") return `collection policy${p.far ? ` (FAR ${p.far})` : ""}`;
  return "calibrated default";
}

function showProblem(err) {
  const out = $("result");
  out.replaceChildren();
  out.className = out.dataset.kind = "problem";
  delete out.dataset.verdict;
  const title = document.createElement("strong");
  title.className = "title";
  title.textContent = err instanceof Problem ? err.title : "Error";
  const detail = document.createElement("p");
  detail.className = "detail";
  detail.textContent = err.message;
  out.append(title, detail);
}

/** Runs an action with its button disabled; problems are shown, never thrown. */
function action(id, fn) {
  $(id).addEventListener("click", async () => {
    const button = $(id);
    button.disabled = true;
    document.body.dataset.busy = "1";
    try {
      await fn();
    } catch (err) {
      showProblem(err);
    } finally {
      button.disabled = false;
      delete document.body.dataset.busy;
    }
  });
}

// ---- the photo: file, drop, paste, camera ----

function setPhoto(blob, keepCamera) {
  // Browsers leave the type of some formats empty (HEIC on Linux): the server sniffs the bytes.
  if (!blob || !(blob.type === "" || /^image\//.test(blob.type))) {
    showProblem(new Problem("Not an image", "Choose a JPEG, PNG, WebP, HEIC, AVIF or GIF photo"));
    return;
  }
  if (!keepCamera) stopCamera();
  if (state.url) URL.revokeObjectURL(state.url);
  state.photo = blob;
  state.fullSize = null;
  state.url = URL.createObjectURL(blob);
  const img = $("image");
  const loaded = new Promise((r) => img.onload = r);
  if (!keepCamera) loaded.then(() => drawFaces([]));
  img.onerror = () => {
    img.onerror = null;
    serverPreview(blob, img).catch(showProblem);
  };
  img.src = state.url;
  img.hidden = false;
  $("stage").classList.remove("empty");
  return loaded;
}

/** Shows a photo the browser cannot decode (HEIC in Chromium) as the server's PNG preview. */
async function serverPreview(blob, img) {
  const headers = { "content-type": blob.type || "application/octet-stream" };
  const key = $("key").value.trim();
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch("/v1/preview", { method: "POST", body: blob, headers });
  if (!res.ok) {
    const p = await res.json().catch(() => ({}));
    throw new Problem(p.title || `HTTP ${res.status}`, p.detail || "", res.status);
  }
  // Boxes come in the full upright size; the preview may be smaller.
  state.fullSize = {
    width: Number(res.headers.get("x-image-width")),
    height: Number(res.headers.get("x-image-height")),
  };
  if (state.url) URL.revokeObjectURL(state.url);
  state.url = URL.createObjectURL(await res.blob());
  img.src = state.url;
}

const needPhoto = () => {
  if (!state.photo) {
    throw new Problem("No photo", "Choose, drop or paste a photo, or use the camera");
  }
  return state.photo;
};

$("file").addEventListener("change", (e) => setPhoto(e.target.files[0]));
$("stage").addEventListener("dragover", (e) => e.preventDefault());
$("stage").addEventListener("drop", (e) => {
  e.preventDefault();
  setPhoto(e.dataTransfer.files[0]);
});
document.addEventListener("paste", (e) => {
  const item = [...e.clipboardData.items].find((i) => i.type.startsWith("image/"));
  if (item) setPhoto(item.getAsFile());
});

function stopCamera() {
  stopLive();
  state.stream?.getTracks().forEach((t) => t.stop());
  state.stream = null;
  $("video").hidden = true;
  $("snap").hidden = true;
}

/** Starts the camera (once) and shows its live picture. */
async function startCamera() {
  if (state.stream) return $("video");
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Problem(
      "No camera",
      "This browser (or an http:// page off localhost) has no camera access",
    );
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 1280, height: 720 },
    });
  } catch (err) {
    throw new Problem("No camera", err.message || String(err));
  }
  const video = $("video");
  video.srcObject = state.stream;
  await video.play();
  video.hidden = false;
  $("image").hidden = true;
  $("snap").hidden = false;
  $("stage").classList.remove("empty");
  drawFaces([]);
  return video;
}

action("camera", startCamera);

action("snap", async () => {
  const video = $("video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  const blob = await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.92));
  setPhoto(blob);
});

// ---- drawing ----

/** Draws faces over the photo: `{box, landmarks?, label?, known?}` in image pixels. */
function drawFaces(faces) {
  state.faces = faces;
  state.selected = -1;
  $("enroll").textContent = "Enroll this face";
  const img = $("image");
  const svg = $("overlay");
  svg.replaceChildren();
  const w = state.fullSize?.width || img.naturalWidth || 1;
  const h = state.fullSize?.height || img.naturalHeight || 1;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.dataset.faces = String(faces.length);
  const stroke = Math.max(2, Math.round(Math.max(w, h) / 300));
  faces.forEach((f, i) => {
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", `face${f.known === false ? " unknown" : ""}`);
    g.dataset.index = String(i);
    const { x, y, width, height } = f.box;
    g.dataset.box = [x, y, width, height].join(",");
    const rect = document.createElementNS(SVG, "rect");
    Object.entries({ x, y, width, height, "stroke-width": stroke }).forEach(([k, v]) =>
      rect.setAttribute(k, v)
    );
    g.append(rect);
    for (const [px, py] of f.landmarks || []) {
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("class", "landmark");
      dot.setAttribute("cx", px);
      dot.setAttribute("cy", py);
      dot.setAttribute("r", stroke * 1.5);
      g.append(dot);
    }
    if (f.label) g.dataset.label = f.label;
    // Numbered as in the list under the result; the label beside the number when there is room.
    const text = document.createElementNS(SVG, "text");
    const size = Math.max(12, Math.min(Math.round(Math.max(w, h) / 45), width * 0.6));
    text.setAttribute("x", x);
    text.setAttribute("y", Math.max(y - stroke * 2, size));
    text.setAttribute("font-size", size);
    text.textContent = `${i + 1}${f.label && faces.length <= 8 ? ` ${f.label}` : ""}`;
    g.append(text);
    g.addEventListener("click", () => select(i));
    svg.append(g);
  });
}

function select(i) {
  state.selected = state.selected === i ? -1 : i;
  for (const g of $("overlay").querySelectorAll("g.face")) {
    g.classList.toggle("selected", Number(g.dataset.index) === state.selected);
  }
  $("enroll").textContent = state.selected >= 0 ? "Enroll selected face" : "Enroll this face";
}

/** The selected face cut out of the photo with a margin, as a JPEG blob. */
async function selectedCrop() {
  const { box } = state.faces[state.selected];
  const img = $("image");
  const m = 0.6 * Math.max(box.width, box.height);
  const x0 = Math.max(0, box.x - m), y0 = Math.max(0, box.y - m);
  const full = state.fullSize || { width: img.naturalWidth, height: img.naturalHeight };
  const k = img.naturalWidth / full.width; // < 1 on a server preview
  const x1 = Math.min(full.width, box.x + box.width + m);
  const y1 = Math.min(full.height, box.y + box.height + m);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(x1 - x0);
  canvas.height = Math.round(y1 - y0);
  canvas.getContext("2d").drawImage(
    img,
    x0 * k,
    y0 * k,
    (x1 - x0) * k,
    (y1 - y0) * k,
    0,
    0,
    canvas.width,
    canvas.height,
  );
  return await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.95));
}

// ---- actions ----

const post = (path, blob) => api(path, { body: blob, type: blob.type || "image/jpeg" });

action("detect", async () => {
  const r = await post("/v1/detect?face=all", needPhoto());
  drawFaces(r.faces.map((f) => ({
    box: f.box,
    landmarks: f.landmarks,
    label: `q ${fixed(f.quality.score, 2)}`,
  })));
  show("detect", [
    ["faces", String(r.faces.length)],
    ["image", `${r.width} × ${r.height}`],
    ...r.faces.map((f, i) => [
      `face ${i + 1}`,
      `quality ${fixed(f.quality.score, 2)}, score ${fixed(f.score, 2)}, ` +
      `${Math.round(f.box.width)} px, yaw ${Math.round(f.quality.pose.yaw)}°`,
    ]),
  ]);
});

/** A box the server reported in the photo turned clockwise by `rotation`, in the photo's own pixels. */
function unturn(b, rotation) {
  if (!rotation) return b;
  const W = $("image").naturalWidth, H = $("image").naturalHeight;
  const back = ([x, y]) =>
    rotation === 90 ? [y, H - x] : rotation === 180 ? [W - x, H - y] : [W - y, x];
  const [a, c] = [back([b.x, b.y]), back([b.x + b.width, b.y + b.height])];
  const x = Math.min(a[0], c[0]), y = Math.min(a[1], c[1]);
  return { x, y, width: Math.abs(a[0] - c[0]), height: Math.abs(a[1] - c[1]) };
}

async function identify(photo) {
  const r = await post(`/v1/collections/${collection()}/identify?face=all&k=3`, photo);
  drawFaces(r.faces.map((f) => ({
    box: unturn(f.box, r.rotation),
    label: f.match ? f.match.subject : "unknown",
    known: Boolean(f.match),
  })));
  const n = r.faces.length;
  show("identify", [
    ["faces", r.detected > n ? `${n} of ${r.detected} (the ${n} largest)` : String(n)],
    ["threshold", `${fixed(r.threshold)} (${thresholdSource(r, "identify")})`],
    ...r.faces.map((f, i) => [
      `face ${i + 1}`,
      f.match
        ? `${f.match.subject} (distance ${fixed(f.match.distance)})`
        : `unknown${
          f.candidates[0]
            ? ` (nearest ${f.candidates[0].subject} at ${fixed(f.candidates[0].distance)})`
            : ""
        }`,
    ]),
  ]);
  return r;
}
action("identify", () => identify(needPhoto()));

action("enroll", async () => {
  const name = nameOf("enroll-name", "name");
  const path = `/v1/collections/${collection()}/subjects/${encodeURIComponent(name)}/faces`;
  const files = [...$("enroll-files").files];
  if (files.length) {
    // Several photos of one person: each enrolled on its own, each answered.
    const lines = [];
    let ok = 0;
    for (const f of files) {
      try {
        const r = await post(`${path}?face=primary`, f);
        lines.push([f.name, `enrolled, quality ${fixed(r.quality.score, 2)}`]);
        ok++;
      } catch (err) {
        lines.push([f.name, `refused: ${err.message}`]);
      }
    }
    show("bulk", lines, {
      ok: ok === files.length,
      text: `Enrolled ${ok} of ${files.length} photos as ${name}`,
    });
    $("result").dataset.enrolled = String(ok);
    $("enroll-files").value = "";
    await refresh();
    return await openSubject(name);
  }
  const crop = state.selected >= 0;
  const blob = crop ? await selectedCrop() : needPhoto();
  const r = await post(crop ? `${path}?face=center` : path, blob);
  show("enroll", [
    ["enrolled", r.subject],
    ["face id", r.face_id],
    ["quality", fixed(r.quality.score, 2)],
  ], { ok: true, text: `Enrolled ${r.subject}` });
  await refresh();
});

async function verify(photo, live) {
  const name = nameOf("verify-name", "claimed name");
  const far = $("far").value;
  const q = `face=${live ? "largest" : "single"}${far ? `&far=${encodeURIComponent(far)}` : ""}`;
  const r = await post(
    `/v1/collections/${collection()}/subjects/${encodeURIComponent(name)}/verify?${q}`,
    photo,
  );
  return {
    r,
    lines: [
      ["claimed", r.subject],
      ["distance", fixed(r.distance)],
      ["threshold", `${fixed(r.threshold)} (${thresholdSource(r, "verify", far)})`],
      ["confidence", fixed(r.confidence, 2)],
    ],
  };
}

action("verify", async () => {
  const { r, lines } = await verify(needPhoto());
  if (r.box) drawFaces([{ box: unturn(r.box, r.rotation), known: r.match }]);
  show("verify", lines, { ok: r.match, text: r.match ? `Accepted: ${r.subject}` : "Rejected" }, r);
});

// ---- live camera: a frame at a time, never two requests at once, at most one per LIVE_MS ----

const LIVE_MS = 700;

function stopLive() {
  if (!state.live) return;
  $(`live-${state.live}`).setAttribute("aria-pressed", "false");
  state.live = null;
  delete document.body.dataset.live;
}
document.addEventListener("visibilitychange", () => document.hidden && stopLive());

async function live(kind) {
  if (state.live === kind) return stopLive();
  stopLive();
  if (kind === "verify") nameOf("verify-name", "claimed name");
  const video = await startCamera();
  state.live = kind;
  document.body.dataset.live = kind;
  $(`live-${kind}`).setAttribute("aria-pressed", "true");
  let frames = 0, prev = null;
  while (state.live === kind && !document.hidden) {
    const t0 = performance.now();
    const { blob } = await grab(video);
    await setPhoto(blob, true);
    video.hidden = true;
    frames++;
    try {
      if (kind === "identify") await identify(blob);
      else {
        const { r, lines } = await verify(blob, true);
        drawFaces([]);
        // A decision once two frames in a row agree (a steady face); until then, "hold still".
        const steady = prev !== null && prev === r.match;
        prev = r.match;
        show(
          "verify",
          [...lines, ["frames", String(frames)]],
          steady
            ? { ok: r.match, text: r.match ? `Accepted: ${r.subject} (live)` : "Rejected (live)" }
            : { ok: false, text: "Hold still…" },
          r,
        );
        if (!steady) delete $("result").dataset.verdict;
      }
    } catch (err) {
      prev = null;
      drawFaces([]);
      showProblem(err);
    }
    $("result").dataset.frames = String(frames);
    await sleep(Math.max(0, LIVE_MS - (performance.now() - t0)));
  }
  if (state.live === kind) stopLive();
}
for (const kind of ["identify", "verify"]) {
  $(`live-${kind}`).addEventListener("click", () => live(kind).catch(showProblem));
}

// ---- challenge liveness: turn and blink on camera, then verify with the token ----

const PROMPTS = {
  look: "Look straight at the camera",
  turn_left: "Turn your head to your left",
  turn_right: "Turn your head to your right",
  blink: "Blink",
};
const REASONS = {
  no_face: "no face in a frame",
  bad_timestamps: "the frames' times are wrong",
  duplicate_frames: "the same frame was sent twice (a still picture?)",
  static_frames: "nothing moved (a still picture?)",
  different_faces: "not the same person in every frame",
  wrong_turn: "the head turned the wrong way",
  turn_not_seen: "the head did not turn far enough",
  blink_not_seen: "no blink was seen",
  insufficient_context: "the face is too close to the camera",
  not_live: "the face does not look live",
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One camera frame as a JPEG (at most 640 px wide, unmirrored) and its capture time. */
async function grab(video) {
  const scale = Math.min(1, 640 / video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const time = Date.now();
  return { blob: await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.9)), time };
}

function prompt(step, done, total) {
  $("challenge-panel").hidden = false;
  const p = $("challenge-prompt");
  p.textContent = PROMPTS[step] || step;
  p.dataset.step = step;
  $("challenge-progress").value = done / total;
}

action("challenge", async () => {
  const name = nameOf("verify-name", "claimed name");
  const video = await startCamera();
  const session = await api(`/v1/liveness/sessions?collection=${collection()}`);
  const steps = ["look", ...session.challenge];
  const perStep = { look: 1, blink: 5, turn_left: 4, turn_right: 4 };
  const total = steps.reduce((n, s) => n + perStep[s], 0);
  const frames = [];
  for (const step of steps) {
    prompt(step, frames.length, total);
    if (step !== "look") await sleep(600); // time to read the prompt and start the move
    for (let i = 0; i < perStep[step]; i++) {
      frames.push(await grab(video));
      await sleep(step === "blink" ? 150 : 300);
    }
  }
  prompt("sending", total, total);
  $("challenge-prompt").textContent = "Checking…";
  const form = new FormData();
  frames.forEach((f, i) => form.append("frame", f.blob, `frame${i}.jpg`));
  form.set("timestamps", JSON.stringify(frames.map((f) => f.time)));
  form.set("nonce", session.nonce);
  const r = await api(`/v1/liveness/sessions/${session.session_id}/frames`, { body: form });
  $("challenge-progress").value = 1;
  if (!r.passed) {
    $("challenge-prompt").textContent = `Refused: ${REASONS[r.reason] || r.reason}`;
    show("challenge", [
      ["challenge", session.challenge.join(", ")],
      ["reason", r.reason],
      ["frames", String(frames.length)],
    ], { ok: false, text: "Liveness challenge refused" });
    return;
  }
  $("challenge-prompt").textContent = "Live: verifying…";
  const probe = frames[0].blob;
  setPhoto(probe);
  const v = await post(
    `/v1/collections/${collection()}/subjects/${encodeURIComponent(name)}/verify?face=largest` +
      `&liveness_token=${encodeURIComponent(r.liveness_token)}`,
    probe,
  );
  show("verify", [
    ["claimed", v.subject],
    ["distance", fixed(v.distance)],
    [
      "liveness",
      v.liveness
        ? `${v.liveness.mode}, ${v.liveness.live ? "live" : v.liveness.reason}`
        : "not required",
    ],
    ["challenge", session.challenge.join(", ")],
  ], { ok: v.match, text: v.match ? `Accepted: ${v.subject} (live)` : "Rejected" });
});

action("compare", async () => {
  const a = $("cmp-a").files[0] || state.photo;
  const b = $("cmp-b").files[0];
  if (!a || !b) {
    throw new Problem("Two photos needed", "Choose photo B (A defaults to the photo above)");
  }
  const form = new FormData();
  form.append("a", a, "a.jpg");
  form.append("b", b, "b.jpg");
  const r = await api("/v1/compare", { body: form });
  // Photo A is the one on screen: its compared face, in the photo's own orientation.
  if (r.boxes && a === state.photo) {
    drawFaces([{ box: unturn(r.boxes.a, r.rotation?.a), known: r.match }]);
  }
  show(
    "compare",
    [
      ["distance", fixed(r.distance)],
      ["threshold", fixed(r.threshold)],
      ["similarity", fixed(r.similarity)],
    ],
    { ok: r.match, text: r.match ? "Same person" : "Different people" },
    r,
  );
});

const subjectPath = (s) => `/v1/collections/${collection()}/subjects/${encodeURIComponent(s)}`;
const button = (text, fn, cls = "") => {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.className = cls;
  b.addEventListener("click", () => fn().catch(showProblem));
  return b;
};

async function deleteSubject(name, faces) {
  if (!confirm(`Delete ${name} and its ${faces} face(s) from ${$("collection").value}?`)) return;
  await api(subjectPath(name), { method: "DELETE" });
  show("delete", [["deleted", name]]);
  if ($("subject-name").textContent === name) $("subject-panel").hidden = true;
  await refresh();
}

async function listSubjects() {
  const r = await api(`/v1/collections/${collection()}/subjects?limit=100`, { method: "GET" });
  const body = $("subjects").tBodies[0];
  body.replaceChildren();
  for (const s of r.subjects) {
    const tr = body.insertRow();
    tr.dataset.subject = s.subject;
    const open = document.createElement("a");
    open.href = "#subject-panel";
    open.textContent = s.subject;
    open.addEventListener("click", () => openSubject(s.subject).catch(showProblem));
    tr.insertCell().append(open);
    tr.insertCell().textContent = String(s.face_count);
    tr.insertCell().append(
      button("Delete", () => deleteSubject(s.subject, s.face_count), "danger"),
    );
  }
  $("subjects").dataset.count = String(r.subjects.length);
}
action("list", refresh);

/** The subject page: its faces with quality and date, each deletable, and the whole subject. */
async function openSubject(name) {
  const r = await api(subjectPath(name), { method: "GET" });
  $("subject-name").textContent = r.subject;
  const body = $("faces").tBodies[0];
  body.replaceChildren();
  for (const f of r.faces) {
    const tr = body.insertRow();
    tr.dataset.face = f.face_id;
    tr.insertCell().textContent = f.face_id.slice(0, 10);
    tr.insertCell().textContent = fixed(f.quality, 2);
    tr.insertCell().textContent = new Date(f.created_at).toLocaleString();
    tr.insertCell().append(button("Delete", async () => {
      if (!confirm(`Delete this face of ${r.subject}?`)) return;
      await api(`${subjectPath(r.subject)}/faces/${encodeURIComponent(f.face_id)}`, {
        method: "DELETE",
      });
      show("delete", [["deleted face", f.face_id], ["of", r.subject]]);
      await refresh();
      if (r.faces.length > 1) await openSubject(r.subject);
      else $("subject-panel").hidden = true;
    }, "danger"));
  }
  $("faces").dataset.count = String(r.faces.length);
  $("subject-panel").hidden = false;
  $("subject-delete").onclick = () => deleteSubject(r.subject, r.faces.length).catch(showProblem);
}
$("subject-close").addEventListener("click", () => $("subject-panel").hidden = true);

// ---- collections: what the key may see, with counts and policy ----

async function loadCollections() {
  const r = await api("/v1/collections", { method: "GET", quiet: true });
  state.collections = Object.fromEntries(r.collections.map((c) => [c.collection, c]));
  $("collections").replaceChildren(...r.collections.map((c) => {
    const o = new Option(`${c.subjects} subjects, ${c.faces} faces`, c.collection);
    return o;
  }));
  const c = state.collections[$("collection").value.trim()];
  $("collection-info").textContent = c
    ? `${c.subjects} subjects · ${c.faces} faces · verify ≤ ${
      fixed(c.policy.verify.threshold)
    } (${c.policy.verify.source})`
    : "new: created by the first enroll";
}

async function refresh() {
  await listSubjects();
  await loadCollections().catch(() => {});
}
$("collection").addEventListener("change", () => {
  $("subject-panel").hidden = true;
  refresh().catch(showProblem);
});

// ---- settings ----

$("key").value = sessionStorage.getItem(KEY_ITEM) || "";
$("key").addEventListener("input", () => sessionStorage.setItem(KEY_ITEM, $("key").value.trim()));

fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  const verify = Object.values(doc.paths).map((p) => p.post).find((op) =>
    op?.operationId === "verifySubject"
  );
  // The presets as 1e-N (the API also accepts 0.00…1 spellings of the same presets).
  const far = (verify?.parameters?.find((p) => p.name === "far")?.schema?.enum || [])
    .filter((v) => /^1e-\d+$/.test(v));
  for (const v of far) $("far").append(new Option(`${v}`, v));
}).catch(() => {});
// What exists, on load (with keys on, once a key is entered).
refresh().catch(() => {}).finally(() => document.body.dataset.ready = "1");
