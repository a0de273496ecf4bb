import { convertScenario } from "../functions/_convert_scenario.ts";
import { redisTest, withUpstashBackend } from "./_redis_fixture.ts";

redisTest(
  "a v2 collection converted to v3 on Redis (sealed) keeps its people, policy and faces",
  (t) => withUpstashBackend("conv", (backend) => convertScenario(t, backend)),
);
