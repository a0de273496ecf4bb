/**
 * The `limit` and `cursor` query parameters of the paginated lists (subjects, audit events): their
 * OpenAPI description and how a route reads them.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "./_context.ts";

/** OpenAPI parameters `limit` (1..1000, default 100) and `cursor`. */
export const PAGE_QUERY_PARAMS = [
  {
    name: "limit",
    in: "query" as const,
    description: "Page size 1..1000 (default 100).",
    schema: { type: "integer", minimum: 1, maximum: 1000 },
  },
  {
    name: "cursor",
    in: "query" as const,
    description: "`next_cursor` of the previous page.",
    schema: { type: "string" },
  },
];

/**
 * The page a request asks for: `limit` as a number (`NaN` when it is not digits, for the use case
 * to refuse with a clear problem; undefined when absent) and `cursor`.
 */
export function pageQuery(c: Context<AppEnv>): { limit?: number; cursor?: string } {
  const raw = c.req.query("limit");
  const limit = raw === undefined ? undefined : /^\d+$/.test(raw) ? Number(raw) : NaN;
  return { limit, cursor: c.req.query("cursor") };
}
