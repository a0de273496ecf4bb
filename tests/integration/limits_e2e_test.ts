/**
 * The request bounds on the real Deno server (functions/main.ts on a loopback port), driven over
 * raw TCP the way a hostile or broken client behaves.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Server {
  port: number;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "functions/main.ts"],
    cwd: ROOT,
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      FACEGATE_STORE: "memory",
      FACEGATE_AUTH: "off",
      FACEGATE_RATE_LIMIT: "0",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) add(t);
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  const deadline = Date.now() + 60_000;
  let port = 0;
  while (port === 0) {
    const m = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(out);
    if (m) port = Number(m[1]);
    else if (Date.now() > deadline) throw new Error(`server did not start: ${err}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await pumps;
    },
  };
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Sends `head` (and `body`), then reads until `until` matches or `ms` pass. */
async function exchange(
  port: number,
  head: string,
  options: { body?: Uint8Array; ms?: number } = {},
): Promise<{ text: string; conn: Deno.Conn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(head));
  if (options.body) await conn.write(options.body);
  const buf = new Uint8Array(16384);
  let text = "";
  const timer = setTimeout(() => conn.close(), options.ms ?? 10_000);
  try {
    while (!/\r\n\r\n[\s\S]*\}$/.test(text)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch { /* closed by the timer */ }
  clearTimeout(timer);
  return { text, conn };
}

const errorLines = (s: Server) =>
  s.stderr().split("\n").filter((l) =>
    l.includes('"level":"error"') && !l.includes("FACEGATE_AUTH=off")
  );

Deno.test("300 slow 20 MB uploads hold little memory, are answered 413/408, and /healthz keeps answering", async () => {
  const server = await startServer({ FACEGATE_BODY_IDLE_TIMEOUT_MS: "3000" });
  try {
    const before = rssMiB(server.pid);
    let peak = before;
    const conns: Deno.Conn[] = [];
    const kib = new Uint8Array(1024).fill(65);
    for (let i = 0; i < 300; i++) {
      const webhook = i < 200;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(new TextEncoder().encode(
        `POST ${webhook ? "/v1/webhooks/upload" : "/v1/detect"} HTTP/1.1\r\nHost: x\r\n` +
          `Content-Type: ${webhook ? "application/json" : "image/jpeg"}\r\n` +
          "Content-Length: 20000000\r\n\r\n",
      ));
      await conn.write(kib);
      conns.push(conn);
    }
    const healthz: number[] = [];
    for (let t = 0; t < 10; t++) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      healthz.push(Math.round(performance.now() - t0));
      peak = Math.max(peak, rssMiB(server.pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const c of conns) c.close();
    console.log(
      `slow uploads: RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB ` +
        `(+${(peak - before).toFixed(1)}), /healthz ms ${healthz.join(",")}`,
    );
    assert.ok(peak - before <= 128, `RSS grew by ${peak - before} MiB`);
    await new Promise((r) => setTimeout(r, 200));
    const log = server.stdout();
    assert.equal((log.match(/"status":413/g) ?? []).length, 200, "every webhook upload got 413");
    assert.equal(
      (log.match(/"status":408/g) ?? []).length,
      100,
      "every stalled image upload got 408",
    );
    assert.deepEqual(errorLines(server), []);
  } finally {
    await server.stop();
  }
});

Deno.test("a declared length over the limit is answered 413 before the body is sent, with Connection: close", async () => {
  const server = await startServer({ FACEGATE_MAX_BODY_BYTES: "100000" });
  try {
    const { text, conn } = await exchange(
      server.port,
      "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100001\r\n\r\n",
    );
    conn.close();
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.match(text, /"code":"payload_too_large"/);
    assert.match(text, /"limit":100000/);
  } finally {
    await server.stop();
  }
});

Deno.test("a client that aborts mid-body is logged as 499 at info level with no error or stack", async () => {
  const server = await startServer({});
  try {
    for (const path of ["/v1/detect", "/v1/webhooks/upload"]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(new TextEncoder().encode(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 50000\r\n\r\n`,
      ));
      await conn.write(new Uint8Array(1024));
      await new Promise((r) => setTimeout(r, 200));
      conn.close();
    }
    await new Promise((r) => setTimeout(r, 500));
    const lines = server.stdout().split("\n").filter((l) => l.includes('"msg":"request"'));
    assert.equal(lines.filter((l) => l.includes('"status":499')).length, 2, lines.join("\n"));
    assert.deepEqual(errorLines(server), []);
    assert.doesNotMatch(server.stderr(), /\bat .*\.ts:\d+/, "no stack trace");
  } finally {
    await server.stop();
  }
});

Deno.test("'.' and '..' as raw or percent-encoded path segments are refused with 400", async () => {
  const server = await startServer({});
  try {
    for (
      const path of [
        "/v1/collections/%2e%2e/subjects",
        "/v1/collections/../subjects",
        "/v1/collections/ok/subjects/%2E",
        "/v1/collections/ok/subjects/%2e%2e/faces",
      ]
    ) {
      const method = path.endsWith("/faces") ? "POST" : "GET";
      const { text, conn } = await exchange(
        server.port,
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\nabcd`,
      );
      conn.close();
      assert.match(text, /^HTTP\/1\.1 400 /, `${path}: ${text.split("\r\n")[0]}`);
      assert.match(text, /path segments, not names/);
    }
  } finally {
    await server.stop();
  }
});
