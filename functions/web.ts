/**
 * The demo web app at `/`: `web/index.html`, `web/app.js` and `web/app.css`, imported as text so
 * the same strings serve on Deno and, inlined by `deno bundle`, on Workers (no file system, no
 * CDN, no build step of the app's own). The page calls this server's API; it sends
 * `Authorization: Bearer` from its key field when one is entered.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv, Services } from "./_context.ts";
import indexHtml from "../web/index.html" with { type: "text" };
import appJs from "../web/app.js" with { type: "text" };
import appCss from "../web/app.css" with { type: "text" };
import favicon from "../web/favicon.svg" with { type: "text" };

/** One static file of the web app. */
export interface WebAsset {
  /** The file's text. */
  body: string;
  /** Its media type. */
  type: string;
}

/** The web app's files by request path. */
export const WEB_ASSETS: Readonly<Record<string, WebAsset>> = {
  "/": { body: indexHtml, type: "text/html; charset=utf-8" },
  "/app.js": { body: appJs, type: "text/javascript; charset=utf-8" },
  "/app.css": { body: appCss, type: "text/css; charset=utf-8" },
  "/favicon.svg": { body: favicon, type: "image/svg+xml" },
};

/**
 * The page may load only this server's script and style, show local (blob) photos and the
 * camera, and call only this server.
 */
export const WEB_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function serve(asset: WebAsset): Response {
  return new Response(asset.body, {
    headers: {
      "content-type": asset.type,
      "cache-control": "no-cache",
      "content-security-policy": WEB_CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  });
}

/** The web app sub-app: `GET /` (documented), `/app.js`, `/app.css` and the icon. */
export function webRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "get",
    path: "/",
    operationId: "webApp",
    access: { public: "the web app page (its API calls carry the user's key)" },
    summary: "Demo web app",
    description: "A page to try the API on your own photos or camera: detect, compare, enroll, " +
      "verify, identify every face of a group photo, list and delete subjects.",
    tag: "meta",
    status: 200,
    response: { type: "string", description: "An HTML page" },
    responseType: "text/html",
    problems: [],
  }, () => serve(WEB_ASSETS["/"]));
  const assets: [string, string, string][] = [
    ["/app.js", "/app.js", "the web app's script"],
    ["/app.css", "/app.css", "the web app's style sheet"],
    ["/favicon.svg", "/favicon.svg", "the icon"],
    // Browsers ask for /favicon.ico on every page (the docs too): the same icon, never a 404.
    ["/favicon.ico", "/favicon.svg", "the icon browsers ask for on every page"],
  ];
  for (const [path, file, why] of assets) {
    s.api.route(
      app,
      { method: "get", path, access: { public: why } },
      () => serve(WEB_ASSETS[file]),
    );
  }
  return app;
}
