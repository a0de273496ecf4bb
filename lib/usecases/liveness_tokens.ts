/**
 * The tokens of passed liveness challenges: short-lived, single-use, HMAC-SHA-256 signed
 * (WebCrypto) references to a passed session. The face that passed stays server-side in the
 * session record (int8-quantised, for the token's lifetime): the token carries no biometric data.
 *
 * Format: `lt1.<session id>.<expiry, ms since the epoch, base 36>.<HMAC, base64url>`, the HMAC over
 * everything before the last dot.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { dequantizeInt8, normalize } from "../match/mod.ts";
import type { LivenessSessionStore, StoredLivenessSession } from "../store/mod.ts";
import type { LivenessTokens, RedeemedLiveness } from "./use_case_deps.ts";

/** How long a liveness token may be redeemed after the burst passed, ms. */
export const LIVENESS_TOKEN_TTL_MS = 60_000;

const PREFIX = "lt1";
const INFO = new TextEncoder().encode("facegate liveness token v1");

/**
 * The HMAC key of liveness tokens: HKDF-SHA-256 of `material` (a server secret such as the
 * newest master key), or of 32 fresh random bytes when there is none (tokens are then valid only
 * in this process).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { livenessTokenKey } from "./liveness_tokens.ts";
 * const key = await livenessTokenKey(new Uint8Array(32));
 * assert.equal(key.algorithm.name, "HMAC");
 * ```
 */
export async function livenessTokenKey(material?: Uint8Array): Promise<CryptoKey> {
  const ikm = material ?? crypto.getRandomValues(new Uint8Array(32));
  const base = await crypto.subtle.importKey("raw", new Uint8Array(ikm), "HKDF", false, [
    "deriveKey",
  ]);
  return await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: INFO },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

const invalid = (why: string) =>
  new FaceError("invalid_liveness_token", `Cannot redeem liveness token: ${why}`);

/** Options of {@linkcode SessionLivenessTokens}. */
export interface SessionLivenessTokensOptions {
  /** Where the sessions are (the face that passed, the single-use marker). */
  sessions: LivenessSessionStore;
  /** The HMAC key ({@linkcode livenessTokenKey}), or its promise. */
  key: CryptoKey | Promise<CryptoKey>;
  /** Millisecond clock. Default: `Date.now`. */
  now?: () => number;
}

/** Issues and redeems liveness tokens over a {@linkcode LivenessSessionStore}. */
export class SessionLivenessTokens implements LivenessTokens {
  #sessions: LivenessSessionStore;
  #key: Promise<CryptoKey>;
  #now: () => number;

  /** See {@linkcode SessionLivenessTokensOptions}. */
  constructor(options: SessionLivenessTokensOptions) {
    this.#sessions = options.sessions;
    this.#key = Promise.resolve(options.key);
    this.#now = options.now ?? Date.now;
  }

  /** The signed token of a passed session (its `passed.token_expires_at` is the expiry). */
  async issue(session: StoredLivenessSession): Promise<{ token: string; expires_at: number }> {
    if (!session.passed) {
      throw new TypeError("Cannot issue a liveness token: the session did not pass");
    }
    const exp = session.passed.token_expires_at;
    const body = `${PREFIX}.${session.id}.${exp.toString(36)}`;
    const mac = await crypto.subtle.sign("HMAC", await this.#key, new TextEncoder().encode(body));
    return {
      token: `${body}.${
        new Uint8Array(mac).toBase64({ alphabet: "base64url", omitPadding: true })
      }`,
      expires_at: exp,
    };
  }

  /**
   * Checks the signature, the expiry and single use, and consumes the token.
   *
   * @throws {FaceError} `invalid_liveness_token` for a malformed, forged (another server's),
   *   expired or used token; `store_unavailable`.
   */
  async redeem(token: string): Promise<RedeemedLiveness> {
    const parts = typeof token === "string" && token.length <= 256 ? token.split(".") : [];
    if (parts.length !== 4 || parts[0] !== PREFIX || !/^[A-Za-z0-9_-]{16,64}$/.test(parts[1])) {
      throw invalid("it is malformed");
    }
    let mac: Uint8Array;
    try {
      mac = Uint8Array.fromBase64(parts[3], { alphabet: "base64url" });
    } catch {
      throw invalid("it is malformed");
    }
    const body = parts.slice(0, 3).join(".");
    const ok = await crypto.subtle.verify(
      "HMAC",
      await this.#key,
      new Uint8Array(mac),
      new TextEncoder().encode(body),
    );
    if (!ok) throw invalid("its signature does not verify (issued elsewhere, or altered)");
    const exp = parseInt(parts[2], 36);
    const now = this.#now();
    if (!(exp > now)) throw invalid("it has expired");
    const session = await this.#sessions.get(parts[1]);
    const passed = session?.passed;
    if (!session || !passed || passed.token_expires_at !== exp) {
      throw invalid("its session is gone");
    }
    if (!(await this.#sessions.claim(session.id, "token", exp - now + 1000))) {
      throw invalid("it was already used");
    }
    const embedding = normalize(dequantizeInt8({
      data: new Int8Array(Uint8Array.fromBase64(passed.embedding).buffer),
      scale: passed.scale,
    }));
    return { session_id: session.id, embedding, model: session.model, score: passed.score };
  }
}
