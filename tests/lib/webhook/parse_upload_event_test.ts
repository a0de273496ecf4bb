import assert from "node:assert/strict";
import { parseUploadEvent } from "../../../lib/webhook/mod.ts";

const event = (data: Record<string, unknown>, type = "upload.completed") =>
  JSON.stringify({ type, data });
const URL_ = "https://uploads.example.com/a.jpg";

Deno.test("parseUploadEvent() reads the three actions", () => {
  assert.deepEqual(
    parseUploadEvent(
      event({ url: URL_, collection: "c", action: "enroll", subject: "ann", metadata: { k: 1 } }),
    ).data,
    { url: URL_, collection: "c", action: "enroll", subject: "ann", metadata: { k: 1 } },
  );
  assert.deepEqual(
    parseUploadEvent(event({ url: URL_, collection: "c", action: "identify", subject: "x" })).data,
    { url: URL_, collection: "c", action: "identify" },
  );
  assert.equal(
    parseUploadEvent(event({ url: URL_, collection: "c", action: "verify", subject: "ann" })).data
      .subject,
    "ann",
  );
});

Deno.test("parseUploadEvent() refuses unknown event types with unsupported_event", () => {
  assert.throws(() => parseUploadEvent(event({}, "upload.deleted")), { code: "unsupported_event" });
});

Deno.test("parseUploadEvent() refuses malformed payloads with invalid_request naming the field", () => {
  const cases: Array<[string, string | undefined]> = [
    ["not json", undefined],
    ["[]", undefined],
    [JSON.stringify({ data: {} }), "type"],
    [JSON.stringify({ type: "upload.completed" }), "data"],
    [event({ collection: "c", action: "identify" }), "data.url"],
    [event({ url: URL_, action: "identify" }), "data.collection"],
    [event({ url: URL_, collection: "c", action: "delete" }), "data.action"],
    [event({ url: URL_, collection: "c", action: "enroll" }), "data.subject"],
    [event({ url: URL_, collection: "c", action: "verify" }), "data.subject"],
    [event({ url: URL_, collection: "bad name", action: "identify" }), "data.collection"],
    [event({ url: URL_, collection: "c", action: "enroll", subject: "a/b" }), "data.subject"],
    [
      event({ url: URL_, collection: "c", action: "enroll", subject: "a", metadata: [1] }),
      "data.metadata",
    ],
  ];
  for (const [text, field] of cases) {
    assert.throws(
      () => parseUploadEvent(text),
      (err: { code: string; details?: { field?: string } }) => {
        assert.equal(err.code, "invalid_request", text);
        assert.equal(err.details?.field, field, text);
        return true;
      },
    );
  }
});
