/**
 * The route registry: each sub-app declares its routes through {@linkcode ApiRegistry.route},
 * which registers the handler on Hono and keeps the operation's schema, so the OpenAPI document
 * is generated from the same declarations that route requests.
 *
 * @module
 */
import type { Handler, Hono } from "hono";
import type { FaceErrorCode } from "../lib/errors.ts";
import type { AppEnv } from "./_context.ts";
import { PROBLEM_CONTENT_TYPE, PROBLEMS } from "./problem.ts";
import { COMPONENT_SCHEMAS, type JsonSchema } from "./_schemas.ts";

/** One query or path parameter. */
export interface ParameterSpec {
  /** Parameter name. */
  name: string;
  /** Where it travels. */
  in: "query" | "path";
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
  method: "get" | "post" | "delete";
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
  /** Error codes the operation may answer with (besides the ones every route may). */
  problems: FaceErrorCode[];
}

const PATH_PARAM_DOCS: Record<string, string> = {
  collection: "Collection name, `[A-Za-z0-9_.@-]{1,128}`.",
  subject: "Subject name, `[A-Za-z0-9_.@-]{1,128}`.",
  face_id: "Face id returned by enrolment.",
};

/** Errors any route may answer with. */
const COMMON_PROBLEMS: FaceErrorCode[] = ["payload_too_large", "store_unavailable"];

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
   * @param handler The Hono handler.
   */
  route(app: Hono<AppEnv>, spec: OperationSpec, handler: Handler<AppEnv>): void {
    this.#operations.push(spec);
    app.on(spec.method.toUpperCase(), spec.path, handler);
  }

  /**
   * The OpenAPI 3.1 document of every registered operation.
   *
   * @param info `info.title`, `info.version` and an optional description.
   * @returns A JSON-serialisable document.
   */
  document(
    info: { title: string; version: string; description?: string },
  ): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.#operations) {
      const path = op.path.replace(/:([A-Za-z_]+)/g, "{$1}");
      const pathParams = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({
        name,
        in: "path",
        required: true,
        description: PATH_PARAM_DOCS[name] ?? name,
        schema: { type: "string" },
      }));
      const responses: Record<string, unknown> = {
        [op.status]: op.response
          ? { description: "Success", content: { "application/json": { schema: op.response } } }
          : { description: "Success, no content" },
      };
      for (const code of [...op.problems, ...COMMON_PROBLEMS]) {
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
    return {
      openapi: "3.1.0",
      info,
      paths,
      components: { schemas: COMPONENT_SCHEMAS },
    };
  }
}
