import assert from "node:assert/strict";
import {
  kvCollectionKeys,
  redisCollectionKeys,
  SCHEMA_VERSION,
  validateName,
} from "../../../lib/store/keys.ts";
import { isFaceError } from "../../../lib/errors.ts";

const isInvalid = (err: unknown) => isFaceError(err, "invalid_request");

Deno.test("validateName() accepts the documented alphabet up to 128 characters", () => {
  for (const name of ["a", "Alice_01", "a.b@c-d_e", "x".repeat(128)]) {
    assert.equal(validateName("subject", name), name);
    assert.equal(validateName("collection", name), name);
  }
  assert.equal(validateName("model", "fr_feature@faceplugin-0.0.1"), "fr_feature@faceplugin-0.0.1");
  assert.equal(validateName("model", "org/arcface+r50"), "org/arcface+r50");
  assert.equal(validateName("face id", "000mx2grsfl0004fvu3z0"), "000mx2grsfl0004fvu3z0");
});

Deno.test("validateName() rejects separators, braces, spaces, unicode and bad lengths", () => {
  for (const name of ["", "x".repeat(129), "a:b", "a|b", "{a}", "a b", "é", "a/b", "a\0"]) {
    assert.throws(() => validateName("subject", name), isInvalid);
  }
  for (const name of ["", "a:b", "{m}", "a|b", "x".repeat(129)]) {
    assert.throws(() => validateName("model", name), isInvalid);
  }
  assert.throws(() => validateName("face id", "a.b"), isInvalid);
  assert.throws(() => validateName("subject", 42 as unknown as string), isInvalid);
});

Deno.test("validateName() names the field and never echoes more than 40 characters", () => {
  try {
    validateName("collection", "bad name " + "y".repeat(200));
    assert.fail("should throw");
  } catch (err) {
    assert.ok(isInvalid(err));
    assert.equal(err.details?.field, "collection");
    assert.ok(err.message.length < 120);
  }
});

Deno.test("kvCollectionKeys() puts prefix, schema version and model before every key", () => {
  const k = kvCollectionKeys({ model: "m@1", collection: "staff" }, ["p"]);
  assert.deepEqual(k.collection, ["p", SCHEMA_VERSION, "m@1", "staff"]);
  assert.deepEqual(k.subject("ann"), ["p", "v1", "m@1", "staff", "s", "ann"]);
  assert.deepEqual(k.subjectFaces("ann"), ["p", "v1", "m@1", "staff", "f", "ann"]);
  assert.deepEqual(k.face("ann", "f1"), ["p", "v1", "m@1", "staff", "f", "ann", "f1"]);
  assert.notDeepEqual(
    kvCollectionKeys({ model: "m@2", collection: "staff" }, ["p"]).subject("ann"),
    k.subject("ann"),
  );
  assert.throws(() => k.subject("a b"), isInvalid);
  assert.throws(() => kvCollectionKeys({ model: "m@1", collection: "" }), isInvalid);
});

Deno.test("redisCollectionKeys() shares one hash tag per model and collection", () => {
  const k = redisCollectionKeys({ model: "m@1", collection: "staff" }, "fg:");
  assert.equal(k.subjects, "fg:v1:{m@1|staff}:subjects");
  assert.equal(k.gallery, "fg:v1:{m@1|staff}:gallery");
  assert.equal(k.subject("ann"), "fg:v1:{m@1|staff}:subject:ann");
  assert.equal(k.faces("ann"), "fg:v1:{m@1|staff}:faces:ann");
  assert.equal(k.subject("ann"), k.base + "subject:ann");
  assert.notEqual(
    redisCollectionKeys({ model: "m@2", collection: "staff" }, "fg:").gallery,
    k.gallery,
  );
  assert.throws(() => redisCollectionKeys({ model: "m:1", collection: "staff" }), isInvalid);
});
