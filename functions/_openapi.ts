/**
 * The route registry: each sub-app declares its routes through {@linkcode ApiRegistry.route},
 * which registers the handler on Hono and keeps the operation's schema, so the OpenAPI document
 * is generated from the same declarations that route requests.
 *
 * @module
 */
import type { Handler, Hono, MiddlewareHandler } from "hono";
import type { FaceErrorCode } from "../lib/errors.ts";
import type { AppEnv } from "./_context.ts";
import { PROBLEM_CONTENT_TYPE, PROBLEMS } from "./problem.ts";
import { COMPONENT_SCHEMAS, type JsonSchema, NAME_PATTERN } from "./_schemas.ts";
import { isAuthExempt } from "./_auth.ts";

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

/** One documented operation. */
export interface OperationSpec {
  /** HTTP method. */
  method: "get" | "post" | "put" | "delete";
  /** Hono path syntax (`/v1/collections/:collection`). */
  path: string;
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

/** A Hono path (`/v1/collections/:collection`) as a RegExp over request paths. */
function pathRegExp(path: string): RegExp {
  const source = path.split("/").map((part) =>
    part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  return new RegExp(`^${source}$`);
}

/** Collects {@linkcode OperationSpec}s and builds the OpenAPI 3.1 document from them. */
export class ApiRegistry {
  readonly #operations: OperationSpec[] = [];

  /** The operations registered so far, in order. */
  get operations(): readonly OperationSpec[] {
    return this.#operations;
  }

  /**
   * Registers `handler` on `app` for `spec.method` + `spec.path` and records the spec.
   *
   * @param app The sub-app.
   * @param spec The operation.
   * @param handlers Route middlewares (e.g. `idempotent(s)`), then the Hono handler.
   */
  route(
    app: Hono<AppEnv>,
    spec: OperationSpec,
    ...handlers: [...MiddlewareHandler<AppEnv>[], Handler<AppEnv>]
  ): void {
    this.#operations.push(spec);
    this.#paths = undefined;
    app.on(spec.method.toUpperCase(), spec.path, ...(handlers as [Handler<AppEnv>]));
  }

  #paths: { re: RegExp; method: string }[] | undefined;

  /**
   * The methods declared for a request path (`GET` implies `HEAD`), for `405` and `Allow`.
   *
   * @param path A request path, e.g. `/v1/collections/c/identify`.
   * @returns Upper-case methods, empty when no operation has this path.
   */
  allowedMethods(path: string): string[] {
    this.#paths ??= this.#operations.map((op) => ({
      re: pathRegExp(op.path),
      method: op.method.toUpperCase(),
    }));
    const methods = new Set<string>();
    for (const { re, method } of this.#paths) {
      if (!re.test(path)) continue;
      methods.add(method);
      if (method === "GET") methods.add("HEAD");
    }
    return [...methods];
  }

  /**
   * The OpenAPI 3.1 document of every registered operation.
   *
   * Operations that need an API key (all but `AUTH_EXEMPT` in `_auth.ts`) carry the bearer
   * security requirement and its problems; the others an empty `security`.
   *
   * @param info Title, version, description, licence and server URL.
   * @returns A JSON-serialisable document.
   */
  document(info: DocumentInfo): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.#operations) {
      const path = op.path.replace(/:([A-Za-z_]+)/g, "{$1}");
      const pathParams = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({
        name,
        in: "path",
        required: true,
        ...(PATH_PARAMS[name] ?? { description: name, schema: { type: "string" } }),
      }));
      const secured = !isAuthExempt(op.method.toUpperCase(), op.path);
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
      tags: [...new Set(this.#operations.map((op) => op.tag))].map((name) => ({
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
