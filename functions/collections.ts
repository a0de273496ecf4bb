/**
 * `GET /v1/collections`: the collections a key may use; `DELETE /v1/collections/{collection}`:
 * removes a whole collection.
 *
 * @module
 */
import { Hono } from "hono";
import { deleteCollection, listCollections } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { ref } from "./_schemas.ts";
import { IDEMPOTENCY_KEY_PARAM, idempotent } from "./_idempotency_key.ts";

/** The collections sub-app. */
export function collectionRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "get",
    path: "/v1/collections",
    operationId: "listCollections",
    access: "match",
    summary: "List collections",
    description: "The collections holding faces that the key may use (every key role; its " +
      "collection scope applies), ordered by name: subject and face counts, the embedder recipe " +
      "and the match policy in force.",
    tag: "collections",
    status: 200,
    response: ref("CollectionList"),
    problems: [],
  }, async (c) => {
    return c.json(await listCollections(s, { scope: c.get("scope") ?? "*" }));
  });
  s.api.route(
    app,
    {
      method: "delete",
      path: "/v1/collections/:collection",
      operationId: "deleteCollection",
      access: "delete_collection",
      summary: "Delete a collection",
      description:
        "Deletes every subject and face of the collection. Collections exist while they " +
        "hold faces, so an empty or unknown collection is `not_found`.",
      tag: "collections",
      query: [IDEMPOTENCY_KEY_PARAM],
      status: 200,
      response: ref("DeleteCollectionResponse"),
      problems: ["invalid_request", "not_found", "conflict"],
    },
    idempotent(s),
    async (c) => {
      return c.json(
        await deleteCollection(s, {
          collection: c.req.param("collection")!,
          caller: callerOf(s, c),
        }),
      );
    },
  );
  return app;
}
