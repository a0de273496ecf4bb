/**
 * Which subjects and faces a remembered answer names, so that deleting them erases it.
 *
 * @module
 */
import { type IdempotencyMentions } from "../idempotency/idempotency_store.ts";
import { MAX_MENTIONED_SUBJECTS } from "../idempotency/idempotency_records.ts";

/** What the request was about. */
export interface MentionScope {
  /** The request's collection (a route parameter, a webhook's `data.collection`). */
  collection?: string;
  /** The request's subject, when it names one. */
  subject?: string;
}

const NAME_RE = /^[A-Za-z0-9_.@-]{1,128}$/;
const FACE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The subjects and faces an answer body names: every JSON object with a `subject` (with its
 * `face_id` when it has one: an enroll, a verify, each identify candidate, a problem's details),
 * and the request's own subject when the body contains it (a problem's `instance` path or
 * message). A subject is kept only when its name occurs in the body: an answer that does not
 * name anyone (a 204, a collection's deletion count) is not indexed.
 *
 * @param body The answer's text (JSON or not).
 * @param scope The request's collection and subject.
 * @returns The mentions, or undefined when the answer names no subject or the collection is not a
 *   valid name; at most {@linkcode MAX_MENTIONED_SUBJECTS} subjects (the first ones found).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findMentions } from "./find_mentions.ts";
 * const body = JSON.stringify({ subject: "ann", face_id: "f1", created_at: "2026-01-01" });
 * assert.deepEqual(findMentions(body, { collection: "lobby", subject: "ann" }), {
 *   collection: "lobby",
 *   subjects: [{ subject: "ann", faces: ["f1"] }],
 * });
 * assert.equal(findMentions("", { collection: "lobby", subject: "ann" }), undefined);
 * ```
 */
export function findMentions(body: string, scope: MentionScope): IdempotencyMentions | undefined {
  const { collection } = scope;
  if (collection === undefined || !NAME_RE.test(collection)) return undefined;
  const faces = new Map<string, Set<string>>();
  const add = (subject: unknown, face?: unknown) => {
    if (typeof subject !== "string" || !NAME_RE.test(subject) || !body.includes(subject)) return;
    if (!faces.has(subject) && faces.size >= MAX_MENTIONED_SUBJECTS) return;
    const set = faces.get(subject) ?? new Set<string>();
    if (typeof face === "string" && FACE_ID_RE.test(face)) set.add(face);
    faces.set(subject, set);
  };
  const walk = (v: unknown, depth: number): void => {
    if (depth > 16 || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x, depth + 1));
    const o = v as Record<string, unknown>;
    if ("subject" in o) add(o.subject, o.face_id);
    else if ("face_id" in o && scope.subject !== undefined) add(scope.subject, o.face_id);
    for (const x of Object.values(o)) walk(x, depth + 1);
  };
  try {
    walk(JSON.parse(body), 0);
  } catch {
    // Not JSON: only the request's subject can be named, as text.
  }
  add(scope.subject);
  if (faces.size === 0) return undefined;
  return {
    collection,
    subjects: [...faces].map(([subject, set]) => ({ subject, faces: [...set] })),
  };
}
