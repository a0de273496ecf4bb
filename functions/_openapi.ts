/**
 * The route registry: each sub-app declares its routes through {@linkcode ApiRegistry.route},
 * with who may call them (`access`), their body limit class (`limit`) and, when documented, their
 * OpenAPI operation, all as data. The registry attaches the auth and limit middleware where the
 * route is declared (Hono's idiom), and the OpenAPI document is generated from the same
 * declarations: no path is matched again elsewhere.
 *
 * @module
 */
import type { Handler, Hono, MiddlewareHandler } from "hono";
import type { FaceErrorCode } from "../lib/errors.ts";
import type { AppEnv } from "./_context.ts";
import { PROBLEM_CONTENT_TYPE, PROBLEMS } from "./problem.ts";
import { COMPONENT_SCHEMAS, type JsonSchema, NAME_PATTERN } from "./_schemas.ts";
import type { Action } from "../lib/auth/mod.ts";

/** One query or path parameter. */
export interface ParameterSpec {
  /** Parameter name. */
  name: string;
  /** Where it travels. */
  in: "query" | "path" | "header";
  /** What it means, with its default. */
  description: string;
  /** Its JSON Schema. */
  schema: JsonSchema;
  /** Default: true for path parameters, false for query parameters. */
  required?: boolean;
}

/**
 * The body limit class of a route (see `_limits.ts`): `small` (64 KiB, no pipeline), `image`
 * (`FACEGATE_MAX_BODY_BYTES`, pipeline gate), `frames` (a liveness burst: 8 MiB at most, pipeline
 * gate) or `webhook` (64 KiB in its own budget until its signature is verified).
 */
export type BodyLimit = "small" | "image" | "frames" | "webhook";

/**
 * Who may call a route: the action a key's role must allow (see `lib/auth/roles.ts`), or
 * `{ public: why }` for a route that takes no Bearer auth.
 */
export type RouteAccess = Action | { public: string };

/** One route: what the router, auth and the body limits read. */
export interface RouteSpec {
  /** HTTP method. */
  method: "get" | "post" | "put" | "delete";
  /** Hono path syntax (`/v1/collections/:collection`). */
  path: string;
  /** Who may call it. */
  access: RouteAccess;
  /** Body limit class. Default: `small`. */
  limit?: BodyLimit;
}

/** One documented operation: a route plus what `/openapi.json` says of it. */
export interface OperationSpec extends RouteSpec {
  /** Unique operation id. */
  operationId: string;
  /** One-line summary. */
  summary: string;
  /** Longer description. Default: none. */
  description?: string;
  /** Group of the operation (`faces`, `match`, `collections`, `meta`). */
  tag: string;
  /** Query parameters (path parameters are derived from `path`). Default: none. */
  query?: ParameterSpec[];
  /** Request bodies by media type. Default: none. */
  body?: Record<string, JsonSchema>;
  /** Success status. */
  status: 200 | 201 | 204;
  /** Success body schema; omitted for 204. */
  response?: JsonSchema;
  /** Media type of the success body. Default: `application/json`. */
  responseType?: string;
  /** Error codes the operation may answer with (besides the ones every route may). */
  problems: FaceErrorCode[];
}

const PATH_PARAMS: Record<string, { description: string; schema: JsonSchema }> = {
  collection: {
    description: "Collection name.",
    schema: { type: "string", pattern: NAME_PATTERN },
  },
  subject: { description: "Subject name.", schema: { type: "string", pattern: NAME_PATTERN } },
  session_id: {
    description: "Liveness challenge session id.",
    schema: { type: "string", pattern: "^[A-Za-z0-9_-]{16,64}$" },
  },
  face_id: {
    description: "Face id returned by enrolment.",
    schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
  },
};

/** Errors any route may answer with. */
const COMMON_PROBLEMS: FaceErrorCode[] = [
  "payload_too_large",
  "store_unavailable",
  "store_key_unavailable",
];
/** Errors of every operation that needs an API key. */
const AUTH_PROBLEMS: FaceErrorCode[] = ["unauthorized", "forbidden", "rate_limited"];

/** What each operation tag groups. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  faces: "Find and embed faces in an image.",
  match: "1:1 and 1:K decisions against photos or enrolled subjects.",
  collections: "Enrolled subjects and their faces.",
  meta: "Health, this document, the API page and the web app.",
  webhooks: "Deliveries from an upload service.",
  liveness: "Presentation-attack detection: is the face a live person, not a print or a screen?",
};

/** The name of the bearer security scheme in the document. */
export const SECURITY_SCHEME = "apiKey";

/** What {@linkcode ApiRegistry.document} describes beside the operations. */
export interface DocumentInfo {
  /** `info.title`. */
  title: string;
  /** `info.version`. */
  version: string;
  /** `info.description`. Default: none. */
  description?: string;
  /** `info.license`. */
  license: { name: string; identifier: string };
  /** Base URL of `servers[0]` (the origin the document was requested from). */
  server: string;
}

/** The middleware a route runs before its own handlers: auth and body limits, from its spec. */
export type RouteGuards = (spec: RouteSpec) => MiddlewareHandler<AppEnv>[];

/** Whether `access` takes no Bearer auth. */
export function isPublic(access: RouteAccess): access is { public: string } {
  return typeof access !== "string";
}

/**
 * The one list of routes: each sub-app declares its routes through {@linkcode ApiRegistry.route},
 * which registers them on Hono behind their guards (auth, body limits) and keeps the documented
 * ones for the OpenAPI document.
 */
export class ApiRegistry {
  readonly #routes: RouteSpec[] = [];
  readonly #guards: RouteGuards;

  /** @param guards The middleware each route runs first. Default: none. */
  constructor(guards: RouteGuards = () => []) {
    this.#guards = guards;
  }

  /** The documented operations registered so far, in order. */
  get operations(): readonly OperationSpec[] {
    return this.#routes.filter(isOperation);
  }

  /** Every route registered so far (documented or not), in order. */
  get routes(): readonly RouteSpec[] {
    return this.#routes;
  }

  /** The guards of `spec` (for a handler registered outside the registry, e.g. the fallback). */
  guards(spec: RouteSpec): MiddlewareHandler<AppEnv>[] {
    return this.#guards(spec);
  }

  /**
   * Registers `handlers` on `app` for `spec.method` + `spec.path` behind the spec's guards, and
   * records the spec (documented when it is an {@linkcode OperationSpec}).
   *
   * @param app The sub-app.
   * @param spec The route.
   * @param handlers Route middlewares (e.g. `idempotent(s)`), then the Hono handler.
   */
  route(
    app: Hono<AppEnv>,
    spec: RouteSpec | OperationSpec,
    ...handlers: [...MiddlewareHandler<AppEnv>[], Handler<AppEnv>]
  ): void {
    this.#routes.push(spec);
    app.on(
      spec.method.toUpperCase(),
      spec.path,
      ...([...this.#guards(spec), ...handlers] as [Handler<AppEnv>]),
    );
  }

  /**
   * The OpenAPI 3.1 document of every registered operation.
   *
   * Operations that need an API key (all but the `public` ones) carry the bearer security
   * requirement and its problems; the others an empty `security`.
   *
   * @param info Title, version, description, licence and server URL.
   * @returns A JSON-serialisable document.
   */
  document(info: DocumentInfo): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const operations = this.operations;
    for (const op of operations) {
      const path = op.path.replace(/:([A-Za-z_]+)/g, "{$1}");
      const pathParams = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({
        name,
        in: "path",
        required: true,
        ...(PATH_PARAMS[name] ?? { description: name, schema: { type: "string" } }),
      }));
      const secured = !isPublic(op.access);
      const responses: Record<string, unknown> = {
        [op.status]: op.response
          ? {
            description: "Success",
            content: { [op.responseType ?? "application/json"]: { schema: op.response } },
          }
          : { description: "Success, no content" },
      };
      const problems = new Set([
        ...op.problems,
        ...(secured ? AUTH_PROBLEMS : []),
        ...COMMON_PROBLEMS,
      ]);
      for (const code of problems) {
        const { status } = PROBLEMS[code];
        const entry = (responses[status] ??= {
          description: "",
          content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
        }) as { description: string };
        entry.description += `${entry.description ? ", " : ""}\`${code}\``;
      }
      (paths[path] ??= {})[op.method] = {
        operationId: op.operationId,
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: [op.tag],
        security: secured ? [{ [SECURITY_SCHEME]: [] }] : [],
        parameters: [
          ...pathParams,
          ...(op.query ?? []).map((p) => ({ required: false, ...p })),
        ],
        ...(op.body
          ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                Object.entries(op.body).map(([type, schema]) => [type, { schema }]),
              ),
            },
          }
          : {}),
        responses,
      };
    }
    const { server, ...rest } = info;
    return {
      openapi: "3.1.0",
      info: rest,
      servers: [{ url: server, description: "This server" }],
      tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({
        name,
        description: TAG_DESCRIPTIONS[name] ?? name,
      })),
      paths,
      components: {
        schemas: COMPONENT_SCHEMAS,
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "fg_<id>_<secret>",
            description: "An API key made with `deno task keys create`, as " +
              "`Authorization: Bearer <key>`. Not checked when the server runs with " +
              "`FACEGATE_AUTH=off` (development).",
          },
        },
      },
    };
  }
}

function isOperation(spec: RouteSpec): spec is OperationSpec {
  return "operationId" in spec;
}
