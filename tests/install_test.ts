/**
 * The first hour: one installer (npm owns `node_modules`, Deno never re-lays it), tasks that run
 * the npm-installed Deno directly (no wrapper chain), and a SIGTERM to the PID the user started
 * (`deno task dev`, `npm run dev`) that leaves nothing listening.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const DENO_JSON = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
const PACKAGE_JSON = JSON.parse(await Deno.readTextFile(new URL("package.json", ROOT)));
/** How long a server may take to listen (models are already materialised by the test task). */
const START_TIMEOUT_MS = 60_000;
/** How long a stopped server may take to release its port. */
const STOP_TIMEOUT_MS = 10_000;

Deno.test("deno.json leaves node_modules to npm (manual) and keeps no second lockfile", () => {
  assert.equal(DENO_JSON.nodeModulesDir, "manual");
  assert.equal(DENO_JSON.lock, false);
});

Deno.test("every npm: import in deno.json pins the version package.json installs", () => {
  const installed = { ...PACKAGE_JSON.dependencies, ...PACKAGE_JSON.devDependencies };
  for (const [key, target] of Object.entries(DENO_JSON.imports as Record<string, string>)) {
    const m = target.match(/^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)/);
    if (!m) continue;
    assert.equal(installed[m[1]], m[2], `deno.json "${key}" pins ${m[1]}@${m[2]}`);
  }
});

Deno.test("the server's npm packages are dependencies; build and benchmark tools are dev-only", async () => {
  const runtime = Object.keys(PACKAGE_JSON.dependencies).sort();
  assert.deepEqual(runtime, [
    "@jsquash/avif",
    "@jsquash/webp",
    "@upstash/ratelimit",
    "@upstash/redis",
    "deno",
    "hono",
    "imagescript",
    "libheif-js",
    "onnxruntime-web",
  ]);
  for (const dev of ["wrangler", "@tensorflow/tfjs", "@vladmandic/face-api", "jpeg-js"]) {
    assert.ok(PACKAGE_JSON.devDependencies[dev], `${dev} is a devDependency`);
  }
  assert.match(await Deno.readTextFile(new URL(".npmrc", ROOT)), /^omit=dev$/m);
  assert.match(PACKAGE_JSON.scripts.test, /npm install --include=dev/);
});

Deno.test("no task runs a bare `deno` (deno task would run node_modules/.bin/deno as a script)", () => {
  for (const [name, task] of Object.entries(DENO_JSON.tasks as Record<string, string>)) {
    const command = typeof task === "string" ? task : (task as { command: string }).command;
    for (const step of command.split(/&&|\|\||;|\|/)) {
      const words = step.trim().split(/\s+/).filter((w) => !/^[A-Z_]+=/.test(w));
      assert.notEqual(words[0], "deno", `task "${name}": ${step.trim()}`);
    }
  }
});

Deno.test("npm scripts exec their command, so a signal to npm's child reaches the server", () => {
  for (const name of ["dev"]) {
    assert.match(PACKAGE_JSON.scripts[name], /^exec /, `npm run ${name}`);
  }
  assert.match(PACKAGE_JSON.scripts.test, /&& exec deno task test$/);
});

/** True while something accepts connections on the loopback port. */
async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Starts `cmd args` on a free port and waits (bounded) for the "facegate listening" line. */
async function startServer(cmd: string, args: string[]) {
  const kv = await Deno.makeTempDir({ prefix: "facegate_install_" });
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: {
      PORT: "0",
      FACEGATE_KV_PATH: `${kv}/facegate.kv`,
      PATH: `${new URL("node_modules/.bin", ROOT).pathname}:${Deno.env.get("PATH")}`,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let port = 0;
  const timer = setTimeout(() => reader.cancel().catch(() => {}), START_TIMEOUT_MS);
  try {
    while (!port) {
      const { value, done } = await reader.read();
      if (done) break;
      output += value;
      const m = output.match(/"facegate listening","url":"http:\/\/[^:]+:(\d+)"/);
      if (m) port = Number(m[1]);
    }
  } catch {
    // cancelled by the timer
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stderr so the server never blocks on a full pipe.
  const drained = (async () => {
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch {
      // closed
    }
  })();
  return { child, port, output: () => output, drained, kv };
}

for (
  const [label, cmd, args] of [
    ["deno task dev", new URL("node_modules/.bin/deno", ROOT).pathname, ["task", "dev"]],
    ["npm run dev", "npm", ["run", "dev", "--silent"]],
  ] as const
) {
  Deno.test(`SIGTERM to the PID of \`${label}\` stops the server: nothing is left listening`, async () => {
    const server = await startServer(cmd, [...args]);
    try {
      assert.ok(server.port > 0, `${label} did not start:\n${server.output()}`);
      assert.equal(await listening(server.port), true);
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      server.child.kill("SIGTERM");
      await server.child.status;
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (await listening(server.port) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await listening(server.port), false, `port ${server.port} still listening`);
    } finally {
      try {
        server.child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await server.drained;
      await Deno.remove(server.kv, { recursive: true });
    }
  });
}
