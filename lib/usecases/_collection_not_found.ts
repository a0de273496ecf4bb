/**
 * The use cases' `collection_not_found` error.
 *
 * @module
 */
import { FaceError } from "../errors.ts";

/** The `collection_not_found` error: a typo in a collection name must not look like a stranger. */
export function collectionNotFound(collection: string): FaceError {
  return new FaceError(
    "collection_not_found",
    `Cannot find collection ${collection}: nothing is enrolled in it`,
    { details: { collection } },
  );
}
