import assert from "node:assert/strict";
import { isAllowedHost } from "../../../lib/webhook/mod.ts";

Deno.test("isAllowedHost() matches exact hosts and *.suffix patterns only", () => {
  const allowed = ["uploads.example.com", "*.cdn.example.net", "127.0.0.1", "[::1]"];
  assert.equal(isAllowedHost("uploads.example.com", allowed), true);
  assert.equal(isAllowedHost("UPLOADS.Example.com.", allowed), true);
  assert.equal(isAllowedHost("a.uploads.example.com", allowed), false);
  assert.equal(isAllowedHost("x.cdn.example.net", allowed), true);
  assert.equal(isAllowedHost("x.y.cdn.example.net", allowed), true);
  assert.equal(isAllowedHost("cdn.example.net", allowed), false);
  assert.equal(isAllowedHost("evilcdn.example.net", allowed), false);
  assert.equal(isAllowedHost("cdn.example.net.evil.com", allowed), false);
  assert.equal(isAllowedHost("127.0.0.1", allowed), true);
  assert.equal(isAllowedHost("[::1]", allowed), true);
  assert.equal(isAllowedHost("", allowed), false);
  assert.equal(isAllowedHost("uploads.example.com", []), false);
});
