import assert from "node:assert/strict";
import { readExifOrientation } from "../../../lib/image/_exif.ts";
import { exifTiff } from "./_fixtures.ts";

for (const little of [true, false]) {
  const order = little ? "little-endian (II)" : "big-endian (MM)";
  Deno.test(`readExifOrientation() reads values 1 to 8 from ${order} EXIF`, () => {
    for (let v = 1; v <= 8; v++) assert.equal(readExifOrientation(exifTiff(v, little)), v);
  });
}

Deno.test("readExifOrientation() accepts an orientation stored as LONG", () => {
  assert.equal(readExifOrientation(exifTiff(6, true, 4)), 6);
});

Deno.test("readExifOrientation() returns 1 for out-of-range values and wrong types", () => {
  assert.equal(readExifOrientation(exifTiff(0, true)), 1);
  assert.equal(readExifOrientation(exifTiff(9, false)), 1);
  assert.equal(readExifOrientation(exifTiff(6, true, 2)), 1);
});

Deno.test("readExifOrientation() returns 1 when the tag is absent", () => {
  const tiff = exifTiff(6, true);
  tiff[10] = 0x10; // tag 0x0110 (Model) instead of 0x0112
  assert.equal(readExifOrientation(tiff), 1);
});

Deno.test("readExifOrientation() returns 1 for malformed or truncated TIFF data", () => {
  const good = exifTiff(6, false);
  assert.equal(readExifOrientation(new Uint8Array(0)), 1);
  assert.equal(readExifOrientation(new Uint8Array([0x41, 0x41, 0, 42, 0, 0, 0, 8])), 1);
  const badMagic = good.slice();
  badMagic[3] = 43;
  assert.equal(readExifOrientation(badMagic), 1);
  const badOffset = good.slice();
  badOffset[4] = 0xff;
  assert.equal(readExifOrientation(badOffset), 1);
  for (let cut = 0; cut < 22; cut++) {
    assert.equal(readExifOrientation(good.subarray(0, cut)), 1, `cut at ${cut}`);
  }
});

Deno.test("readExifOrientation() reads a view into a larger buffer", () => {
  const tiff = exifTiff(3, true);
  const backing = new Uint8Array(tiff.length + 5);
  backing.set(tiff, 5);
  assert.equal(readExifOrientation(backing.subarray(5)), 3);
});
