import assert from "node:assert/strict";
import { livenessCrop } from "../../../lib/liveness/mod.ts";

Deno.test("livenessCrop() grows a centred box by the scale and keeps its aspect", () => {
  const c = livenessCrop(
    { x: 300, y: 200, width: 40, height: 50 },
    { width: 1001, height: 801 },
    2,
  );
  assert.deepEqual(c, { x: 280, y: 175, width: 80, height: 100, context: 2 });
});

Deno.test("livenessCrop() shifts a crop that sticks out back inside the image", () => {
  // Near the top-left corner: the 2.7x crop would start at negative coordinates.
  const c = livenessCrop({ x: 5, y: 5, width: 100, height: 100 }, { width: 641, height: 481 }, 2.7);
  assert.equal(c.context, 2.7);
  assert.deepEqual([c.x, c.y], [0, 0]);
  assert.ok(Math.abs(c.width - 270) < 1e-9 && Math.abs(c.height - 270) < 1e-9);
  // Near the bottom-right corner.
  const d = livenessCrop({ x: 600, y: 440, width: 40, height: 40 }, { width: 641, height: 481 }, 2);
  assert.deepEqual([d.x + d.width, d.y + d.height], [640, 480]);
  assert.deepEqual([d.width, d.height], [80, 80]);
});

Deno.test("livenessCrop() limits the growth to what the image holds (the context)", () => {
  // A 200 px tall face in a 481 px tall frame: (481 - 1) / 200 = 2.4 < 2.7.
  const c = livenessCrop(
    { x: 200, y: 100, width: 150, height: 200 },
    { width: 641, height: 481 },
    2.7,
  );
  assert.equal(c.context, 2.4);
  assert.deepEqual([c.y, c.height], [0, 480]);
  // A face larger than the frame: context below 1.
  const big = livenessCrop(
    { x: -50, y: -50, width: 500, height: 600 },
    { width: 401, height: 401 },
    2.7,
  );
  assert.ok(big.context < 1);
});

Deno.test("livenessCrop() refuses an empty or non-finite box", () => {
  assert.throws(
    () => livenessCrop({ x: 0, y: 0, width: 0, height: 10 }, { width: 10, height: 10 }, 2.7),
    RangeError,
  );
  assert.throws(
    () => livenessCrop({ x: NaN, y: 0, width: 5, height: 5 }, { width: 10, height: 10 }, 2.7),
    RangeError,
  );
});
