/**
 * `deno task serve`: the server on every core. Fetches and verifies the model files once, then
 * runs `deno serve --parallel` on `functions/serve.ts` at `HOST` / `PORT` (as `deno task dev`
 * reads them; default 127.0.0.1:8000), one isolate per core (`DENO_JOBS` sets another count), and
 * forwards SIGINT / SIGTERM to it. Exits with its status.
 *
 * @module
 */
import { parseConfig } from "../lib/config.ts";
import { fetchModels } from "../models/fetch_models.ts";

if (import.meta.main) {
  const config = parseConfig(Deno.env.toObject());
  await fetchModels();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--parallel",
      "-A",
      "--host",
      config.host,
      "--port",
      String(config.port),
      new URL("./serve.ts", import.meta.url).pathname,
    ],
    stdin: "null",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    });
  }
  const status = await child.status;
  Deno.exit(status.code);
}
