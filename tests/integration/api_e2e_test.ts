/**
 * End to end on Deno KV: the shared API scenario (`_api_scenario.ts`) against the real server on
 * a temporary Deno KV file, with API keys on and an admin key made by `cli/keys.ts` in that file.
 *
 * @module
 */
import { apiScenario, withServer } from "./_api_scenario.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

Deno.test("the real server enrolls, verifies, identifies and forgets LFW people over HTTP (Deno KV)", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_e2e_" });
  const env = {
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: `${dir}/nested/facegate.kv`,
    FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
    FACEGATE_AUTH: "keys",
    FACEGATE_RATE_LIMIT: "100000",
  };
  try {
    await withServer(env, (server, apiKey) => apiScenario(t, { server, store: "kv", apiKey }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
