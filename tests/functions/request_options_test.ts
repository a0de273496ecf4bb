import assert from "node:assert/strict";
import { readOptions } from "../../lib/usecases/read_options.ts";
import { chooseThreshold, matchThresholds } from "../../lib/usecases/mod.ts";
import { decodeBase64Image } from "../../functions/_image_input.ts";
import { isFaceError } from "../../lib/errors.ts";
import { MODEL_MANIFEST } from "../../models/manifest.ts";

const all = { threshold: true, k: true } as const;
const code = (c: string, field?: string) => (err: unknown) =>
  isFaceError(err) && err.code === c && (field === undefined || err.details?.field === field);

Deno.test("readOptions() reads options from the query and the body alike", () => {
  assert.deepEqual(readOptions({ face: "center", k: "3" }, { threshold: 0.9 }, all), {
    face: "center",
    k: 3,
    threshold: 0.9,
  });
  assert.deepEqual(readOptions({ far: "1e-3" }, { far: "1e-3" }, all), { far: "1e-3" });
  assert.deepEqual(readOptions({ k: "3", threshold: "1" }, {}, {}), {});
});

Deno.test("readOptions() refuses bad values with invalid_request naming the field", () => {
  for (
    const [query, field] of [
      [{ face: "biggest" }, "face"],
      [{ threshold: "0" }, "threshold"],
      [{ threshold: "2.5" }, "threshold"],
      [{ threshold: "abc" }, "threshold"],
      [{ threshold: "-1" }, "threshold"],
      [{ far: "1e-5" }, "far"],
      [{ far: "1e-3", threshold: "1" }, "far"],
      [{ k: "0" }, "k"],
      [{ k: "51" }, "k"],
      [{ k: "2.5" }, "k"],
    ] as const
  ) {
    assert.throws(() => readOptions(query, {}, all), code("invalid_request", field), field);
  }
  assert.throws(() => readOptions({}, { face: "all" }, {}), code("invalid_request", "face"));
  assert.throws(() => readOptions({}, { k: [1] }, all), code("invalid_request", "k"));
});

Deno.test("readOptions() refuses a value the query and the body disagree on", () => {
  assert.throws(() => readOptions({ k: "3" }, { k: 4 }, all), code("invalid_request", "k"));
});

Deno.test("chooseThreshold() prefers threshold, then far, then the calibrated default", () => {
  const t = { verify: 1.1, identify: 1.0, far: { "1e-3": 0.9 }, fallbacks: [] };
  assert.equal(chooseThreshold({ threshold: 0.5 }, t, "verify"), 0.5);
  assert.equal(chooseThreshold({ far: "1e-3" }, t, "identify"), 0.9);
  assert.equal(chooseThreshold({}, t, "verify"), 1.1);
  assert.equal(chooseThreshold({}, t, "identify"), 1.0);
  assert.throws(
    () => chooseThreshold({ far: "1e-4" }, t, "verify"),
    code("invalid_request", "far"),
  );
});

Deno.test("matchThresholds() reads the manifest and falls back only for missing values", () => {
  const with_ = (thresholds: Record<string, unknown>) =>
    matchThresholds({ ...MODEL_MANIFEST, embedder: { ...MODEL_MANIFEST.embedder, thresholds } });
  assert.deepEqual(with_({}), {
    verify: 1.15,
    identify: 1.05,
    far: {},
    fallbacks: ["verify", "identify"],
  });
  assert.deepEqual(
    with_({ verify: 1.2, identify: 0.95, far: { "1e-2": 1.1, "1e-3": 3, "1e-4": 0.8 } }),
    { verify: 1.2, identify: 0.95, far: { "1e-2": 1.1, "1e-4": 0.8 }, fallbacks: [] },
  );
});

Deno.test("decodeBase64Image() accepts base64, base64url and data URLs", () => {
  const bytes = [0xff, 0xd8, 0xff, 0xfe, 0xfb];
  assert.deepEqual([...decodeBase64Image("image", btoa(String.fromCharCode(...bytes)))], bytes);
  assert.deepEqual([...decodeBase64Image("image", "_9j__vs")], bytes);
  assert.deepEqual([...decodeBase64Image("image", "data:image/jpeg;base64,/9j/\n/vs=")], bytes);
});

Deno.test("decodeBase64Image() refuses bad base64, empty values and other data URL types", () => {
  assert.throws(() => decodeBase64Image("a", "not base64!"), code("invalid_request", "a"));
  assert.throws(() => decodeBase64Image("a", "abcde"), code("invalid_request", "a"));
  assert.throws(() => decodeBase64Image("a", ""), code("invalid_request"));
  assert.throws(
    () => decodeBase64Image("a", "data:image/bmp;base64,Qk0="),
    code("unsupported_media_type", "a"),
  );
  assert.throws(() => decodeBase64Image("a", "data:image/png,abc"), code("invalid_request", "a"));
});

Deno.test("readOptions() accepts far as 1e-3 or 0.001 and names the same preset", () => {
  for (
    const [given, preset] of [
      ["1e-2", "1e-2"],
      ["0.01", "1e-2"],
      ["1e-3", "1e-3"],
      ["0.001", "1e-3"],
      ["1E-3", "1e-3"],
      [" 0.001 ", "1e-3"],
      ["1e-4", "1e-4"],
      ["0.0001", "1e-4"],
    ] as const
  ) {
    assert.deepEqual(readOptions({ far: given }, {}, all), { far: preset }, given);
  }
  assert.deepEqual(readOptions({}, { far: 0.001 }, all), { far: "1e-3" });
  for (const refused of ["0.002", "0.00001", "1e-5", "0", "", "abc", "1e-3x"]) {
    assert.throws(() => readOptions({ far: refused }, {}, all), code("invalid_request", "far"));
  }
});
