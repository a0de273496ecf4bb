/**
 * An Upstash-REST-compatible HTTP bridge in front of a real redis-server, for tests and local
 * development only (never production: no TLS, one token, no limits beyond a request timeout).
 *
 * Protocol, as `@upstash/redis` speaks it:
 * - `POST /` with a JSON command array (`["SET","k","v"]`) → `{"result": ...}`, or status 400 and
 *   `{"error": "..."}` when Redis answers with an error.
 * - `POST /pipeline` with an array of commands → an array of `{"result"}` / `{"error"}`.
 * - `POST /multi-exec` → the commands run as one MULTI/EXEC transaction → array as for pipeline;
 *   a transaction Redis refuses as a whole (EXECABORT) is status 400 `{"error"}`.
 * - `Authorization: Bearer <token>` is required (401 otherwise).
 * - With header `Upstash-Encoding: base64`, every string in the result (nested arrays included) is
 *   base64 of its raw bytes, except a top-level `OK` status. This matches `@upstash/redis`
 *   1.39's `decode()`, which base64-decodes every string except a top-level `"OK"`.
 * - Redis unreachable or too slow (10 s) → status 502 `{"error"}`.
 * - Script flags that Upstash accepts but redis-server refuses (`#!lua flags=allow-key-locking`,
 *   used by `@upstash/ratelimit`) are dropped from `EVAL` scripts, and `EVALSHA` of such a
 *   script's original hash runs the rewritten one (see {@linkcode ScriptCompat}).
 *
 * It speaks RESP2 to redis-server itself (no npm client) over a small connection pool.
 *
 * CLI: `deno run -A tools/upstash_bridge.ts --redis-port 6379 --port 8079 --token secret`.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An error reply from Redis (`-ERR ...`). */
export class RespError {
  /** The message, e.g. `"ERR unknown command"`. */
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A RESP2 reply: simple string, bulk string bytes, integer, nil, error or array. */
export type RespValue = string | Uint8Array | number | null | RespError | RespValue[];

/** One argument of a command; numbers and booleans are sent as their decimal text. */
export type RespArg = string | number | boolean | Uint8Array;

/**
 * A minimal RESP2 client on one TCP connection. Calls must not overlap (the pool ensures that).
 */
export class RespConnection {
  #conn: Deno.Conn;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #closed = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Connects to redis-server on loopback.
   *
   * @throws {Deno.errors.ConnectionRefused} When nothing listens on `port`.
   */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<RespConnection> {
    return new RespConnection(await Deno.connect({ hostname, port }));
  }

  /** Whether the connection was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends commands pipelined and reads one reply per command.
   *
   * @returns The replies in order; Redis errors are {@linkcode RespError} values, not throws.
   * @throws {Error} On connection failure or a malformed reply (then the connection is unusable).
   */
  async pipeline(commands: RespArg[][]): Promise<RespValue[]> {
    const parts: Uint8Array[] = [];
    for (const cmd of commands) {
      parts.push(encoder.encode(`*${cmd.length}\r\n`));
      for (const arg of cmd) {
        const bytes = arg instanceof Uint8Array ? arg : encoder.encode(String(arg));
        parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
      }
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    for (let w = 0; w < out.length;) w += await this.#conn.write(out.subarray(w));
    const replies: RespValue[] = [];
    for (let i = 0; i < commands.length; i++) replies.push(await this.#read());
    return replies;
  }

  /** Sends one command and reads its reply. */
  async call(...cmd: RespArg[]): Promise<RespValue> {
    return (await this.pipeline([cmd]))[0];
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }

  async #fill(): Promise<void> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      const live = this.#end - this.#start;
      if (live <= this.#buf.length / 2) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(this.#buf.length * 2);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = live;
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#end));
    if (n === null) throw new Error("Redis closed the connection");
    this.#end += n;
  }

  async #line(): Promise<string> {
    let scanned = 0;
    while (true) {
      for (let i = this.#start + scanned; i + 1 < this.#end; i++) {
        if (this.#buf[i] === 13 && this.#buf[i + 1] === 10) {
          const line = decoder.decode(this.#buf.subarray(this.#start, i));
          this.#start = i + 2;
          return line;
        }
      }
      scanned = Math.max(0, this.#end - this.#start - 1);
      await this.#fill();
    }
  }

  async #bytes(n: number): Promise<Uint8Array> {
    while (this.#end - this.#start < n + 2) await this.#fill();
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n + 2;
    return out;
  }

  async #read(): Promise<RespValue> {
    const line = await this.#line();
    const rest = line.slice(1);
    switch (line[0]) {
      case "+":
        return rest;
      case "-":
        return new RespError(rest);
      case ":":
        return Number(rest);
      case "$": {
        const n = Number(rest);
        return n < 0 ? null : await this.#bytes(n);
      }
      case "*": {
        const n = Number(rest);
        if (n < 0) return null;
        const items: RespValue[] = [];
        for (let i = 0; i < n; i++) items.push(await this.#read());
        return items;
      }
      default:
        throw new Error(`Malformed RESP reply starting with ${JSON.stringify(line.slice(0, 20))}`);
    }
  }
}

/** A bounded pool of {@linkcode RespConnection}s to one redis-server. */
export class RespPool {
  #port: number;
  #max: number;
  #timeoutMs: number;
  #idle: RespConnection[] = [];
  #all = new Set<RespConnection>();
  #connecting = 0;
  #waiters: Array<() => void> = [];
  #closed = false;

  /**
   * @param port redis-server port on 127.0.0.1.
   * @param max Most connections open at once. Default: 16.
   * @param timeoutMs Longest a call may take before its connection is dropped. Default: 10000.
   */
  constructor(port: number, max = 16, timeoutMs = 10_000) {
    this.#port = port;
    this.#max = max;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs `fn` with an exclusive connection. A connection on which `fn` threw is closed.
   *
   * @throws {Error} When the pool is closed, Redis is unreachable, or the call timed out.
   */
  async with<T>(fn: (conn: RespConnection) => Promise<T>): Promise<T> {
    const conn = await this.#acquire();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, this.#timeoutMs);
    try {
      const result = await fn(conn);
      this.#release(conn);
      return result;
    } catch (err) {
      this.#drop(conn);
      throw timedOut ? new Error(`Redis did not answer within ${this.#timeoutMs} ms`) : err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every connection; later calls fail. */
  close(): void {
    this.#closed = true;
    for (const c of this.#all) c.close();
    this.#all.clear();
    this.#idle = [];
    for (const w of this.#waiters.splice(0)) w();
  }

  async #acquire(): Promise<RespConnection> {
    while (true) {
      if (this.#closed) throw new Error("The Redis pool is closed");
      const idle = this.#idle.pop();
      if (idle) return idle;
      if (this.#all.size + this.#connecting < this.#max) {
        this.#connecting++;
        let conn: RespConnection;
        try {
          conn = await RespConnection.connect(this.#port);
        } catch (err) {
          this.#wake();
          throw err;
        } finally {
          this.#connecting--;
        }
        if (this.#closed) {
          conn.close();
          continue;
        }
        this.#all.add(conn);
        return conn;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #release(conn: RespConnection): void {
    if (this.#closed || conn.closed) return this.#drop(conn);
    this.#idle.push(conn);
    this.#wake();
  }

  #drop(conn: RespConnection): void {
    conn.close();
    this.#all.delete(conn);
    this.#wake();
  }

  #wake(): void {
    this.#waiters.shift()?.();
  }
}

const BLOCKED = new Set([
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "MONITOR",
  "SELECT",
  "QUIT",
  "RESET",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "SHUTDOWN",
  "HELLO",
]);

type Json = string | number | null | Json[] | { [k: string]: Json };

/** Converts a reply to JSON as Upstash does; `top` marks a command's own result. */
function toJson(v: RespValue, base64: boolean, top: boolean): Json {
  if (v === null || typeof v === "number") return v;
  if (v instanceof RespError) return v.message;
  if (Array.isArray(v)) return v.map((x) => toJson(x, base64, false));
  if (typeof v === "string") {
    if (!base64 || (top && v === "OK")) return v;
    return encoder.encode(v).toBase64();
  }
  return base64 ? v.toBase64() : decoder.decode(v);
}

function entry(v: RespValue, base64: boolean): Json {
  return v instanceof RespError ? { error: v.message } : { result: toJson(v, base64, true) };
}

class BadRequest extends Error {}

function parseCommand(x: unknown): RespArg[] {
  if (!Array.isArray(x) || x.length === 0) {
    throw new BadRequest("ERR a command must be a non-empty JSON array");
  }
  for (const a of x) {
    if (typeof a !== "string" && typeof a !== "number" && typeof a !== "boolean") {
      throw new BadRequest("ERR command arguments must be strings, numbers or booleans");
    }
  }
  const name = String(x[0]).toUpperCase();
  if (BLOCKED.has(name)) throw new BadRequest(`ERR command ${name} is not allowed by the bridge`);
  return x as RespArg[];
}

/** Script flags only Upstash knows; redis-server refuses a script that declares them. */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Rewrites scripts that declare Upstash-only flags in their `#!lua` shebang so redis-server
 * accepts them, and remembers original hash -> rewritten hash for `EVALSHA`.
 */
export class ScriptCompat {
  #shas = new Map<string, string>();

  /** The command as redis-server should receive it. */
  async rewrite(cmd: RespArg[]): Promise<RespArg[]> {
    const name = String(cmd[0]).toUpperCase();
    const body = cmd[1];
    if (typeof body !== "string") return cmd;
    if (name === "EVAL" || name === "EVAL_RO") {
      const fixed = stripUpstashFlags(body);
      if (fixed === body) return cmd;
      this.#shas.set(await sha1(body), await sha1(fixed));
      return [cmd[0], fixed, ...cmd.slice(2)];
    }
    if (name === "EVALSHA" || name === "EVALSHA_RO") {
      const mapped = this.#shas.get(body.toLowerCase());
      return mapped ? [cmd[0], mapped, ...cmd.slice(2)] : cmd;
    }
    return cmd;
  }
}

/** Drops {@linkcode UPSTASH_ONLY_FLAGS} from a script's `#!lua flags=...` first line. */
export function stripUpstashFlags(script: string): string {
  const m = /^#!lua([^\n]*)/.exec(script);
  if (!m) return script;
  const head = m[1].replace(/flags=(\S*)/, (_all, list: string) => {
    const kept = list.split(",").filter((f) => f && !UPSTASH_ONLY_FLAGS.has(f));
    return kept.length ? `flags=${kept.join(",")}` : "";
  }).trimEnd();
  return `#!lua${head}${script.slice(m[0].length)}`;
}

function json(body: Json, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Options for {@linkcode startBridge}. */
export interface StartBridgeOptions {
  /** Port of redis-server on 127.0.0.1. */
  redisPort: number;
  /** Bearer token clients must send. */
  token: string;
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default: 0. */
  port?: number;
  /** Longest one request may wait for Redis, in ms. Default: 10000. */
  timeoutMs?: number;
}

/** A running bridge. */
export interface Bridge {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The bearer token. */
  token: string;
  /** The HTTP port. */
  port: number;
  /** Stops accepting requests, waits for in-flight ones, and closes the Redis connections. */
  close(): Promise<void>;
}

/**
 * Starts the bridge on 127.0.0.1.
 *
 * @returns The URL, token, port and a `close()`.
 * @throws {Deno.errors.AddrInUse} When `port` is taken.
 *
 * @example
 * ```ts ignore
 * import { startBridge } from "./upstash_bridge.ts";
 * const bridge = await startBridge({ redisPort: 6379, token: "t" });
 * // new Redis({ url: bridge.url, token: bridge.token })
 * await bridge.close();
 * ```
 */
export function startBridge(options: StartBridgeOptions): Promise<Bridge> {
  const { redisPort, token } = options;
  const pool = new RespPool(redisPort, 16, options.timeoutMs ?? 10_000);
  const scripts = new ScriptCompat();

  async function handle(req: Request): Promise<Response> {
    if (req.headers.get("authorization") !== `Bearer ${token}`) {
      return json({ error: "Unauthorized" }, 401);
    }
    if (req.method !== "POST") return json({ error: "ERR only POST is supported" }, 405);
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    if (path !== "/" && path !== "/pipeline" && path !== "/multi-exec") {
      return json({ error: `ERR unknown endpoint ${path}` }, 404);
    }
    const base64 = req.headers.get("upstash-encoding")?.toLowerCase() === "base64";
    let commands: RespArg[][];
    try {
      const body: unknown = await req.json().catch(() => {
        throw new BadRequest("ERR the body is not JSON");
      });
      if (path === "/") commands = [parseCommand(body)];
      else {
        if (!Array.isArray(body) || body.length === 0) {
          throw new BadRequest("ERR the body must be a non-empty array of commands");
        }
        commands = body.map(parseCommand);
      }
    } catch (err) {
      if (err instanceof BadRequest) return json({ error: err.message }, 400);
      throw err;
    }
    commands = await Promise.all(commands.map((cmd) => scripts.rewrite(cmd)));
    try {
      if (path === "/") {
        const [reply] = await pool.with((c) => c.pipeline(commands));
        return reply instanceof RespError
          ? json({ error: reply.message }, 400)
          : json({ result: toJson(reply, base64, true) });
      }
      if (path === "/pipeline") {
        const replies = await pool.with((c) => c.pipeline(commands));
        return json(replies.map((r) => entry(r, base64)));
      }
      const replies = await pool.with((c) => c.pipeline([["MULTI"], ...commands, ["EXEC"]]));
      const exec = replies[replies.length - 1];
      if (exec instanceof RespError) return json({ error: exec.message }, 400);
      if (!Array.isArray(exec)) return json({ error: "ERR the transaction was aborted" }, 400);
      return json(exec.map((r) => entry(r, base64)));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return json({ error: `ERR cannot reach Redis: ${message}` }, 502);
    }
  }

  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: options.port ?? 0,
        onListen: ({ port }) => {
          resolve({
            url: `http://127.0.0.1:${port}`,
            token,
            port,
            close: async () => {
              await server.shutdown();
              pool.close();
            },
          });
        },
      }, handle);
    } catch (err) {
      reject(err);
    }
  });
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
}

if (import.meta.main) {
  const redisPort = Number(flag(Deno.args, "redis-port") ?? 6379);
  const port = Number(flag(Deno.args, "port") ?? 8079);
  const token = flag(Deno.args, "token") ?? crypto.randomUUID();
  const bridge = await startBridge({ redisPort, port, token });
  console.log(`UPSTASH_REDIS_REST_URL=${bridge.url}`);
  console.log(`UPSTASH_REDIS_REST_TOKEN=${bridge.token}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => bridge.close().then(() => Deno.exit(0)));
  }
}
