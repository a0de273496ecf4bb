/**
 * `GET /healthz`, `GET /openapi.json` (generated from the route declarations) and `GET /docs`
 * (a self-contained page: no CDN, it reads `/openapi.json` and offers a "try it" form).
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv, Services } from "./_context.ts";
import { ref } from "./_schemas.ts";
import { PROBLEMS } from "./problem.ts";
import { docsCsp, docsPage, newNonce } from "./_docs_page.ts";

/** Version reported in the OpenAPI document. */
export const API_VERSION = "1.0.0";

/** The health, OpenAPI and docs sub-app. Mount it after every other sub-app. */
export function metaRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "get",
    path: "/healthz",
    operationId: "health",
    access: { public: "liveness probes" },
    summary: "Health",
    description: "Liveness plus what the server runs with; does not touch the store or models.",
    tag: "meta",
    status: 200,
    response: ref("Health"),
    problems: [],
  }, (c) =>
    c.json({
      status: "ok",
      store: s.store.kind,
      model: s.model,
      strategy: s.config.matchStrategy,
      thresholds: {
        verify: s.thresholds.verify,
        identify: s.thresholds.identify,
        calibrated: s.thresholds.fallbacks.length === 0,
      },
    }));
  s.api.route(app, {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    access: { public: "the public API description" },
    summary: "OpenAPI document",
    tag: "meta",
    status: 200,
    response: { type: "object" },
    problems: [],
  }, (c) => c.json(openApiDocument(s, new URL(c.req.url).origin)));
  s.api.route(app, {
    method: "get",
    path: "/docs",
    operationId: "docs",
    access: { public: "the public API page" },
    summary: "Interactive API page",
    tag: "meta",
    status: 200,
    response: { type: "string", description: "An HTML page" },
    responseType: "text/html",
    problems: [],
  }, (c) => {
    const nonce = newNonce();
    c.header("content-security-policy", docsCsp(nonce));
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    return c.html(docsPage(PROBLEMS, nonce));
  });
  return app;
}

/**
 * The OpenAPI document of every route registered in `s.api`.
 *
 * @param s The services.
 * @param server The origin the document is served from (its `servers[0].url`).
 */
export function openApiDocument(s: Services, server: string): Record<string, unknown> {
  return s.api.document({
    title: "facegate",
    version: API_VERSION,
    license: { name: "MIT", identifier: "MIT" },
    server,
    description: "Face detection, verification (1:1) and identification (1:K). Distances are L2 " +
      `between unit embeddings of model \`${s.model}\`; a pair matches when distance <= ` +
      `threshold. Errors are RFC 9457 problem documents whose \`type\` links to /docs.`,
  });
}
