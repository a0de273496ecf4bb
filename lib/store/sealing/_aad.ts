/**
 * The additional authenticated data of sealed face records: what a sealed record is bound to.
 *
 * @module
 */
import type { CollectionRef } from "../faces/face_store.ts";

/** The AAD of a face's records: binds collection, subject and face id. */
export function faceAad(ref: CollectionRef, subject: string, faceId: string): string {
  return `facegate/face/v1|${ref.model}|${ref.collection}|${subject}|${faceId}`;
}

/** The AAD (v2) of a face's embedding: also binds its creation time, which retention reads. */
export function embeddingAad(
  ref: CollectionRef,
  subject: string,
  faceId: string,
  createdMs: number,
): string {
  return `facegate/face/v2|${ref.model}|${ref.collection}|${subject}|${faceId}|${createdMs}`;
}
