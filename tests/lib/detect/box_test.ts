import assert from "node:assert/strict";
import { type Box, intersection, iou } from "../../../lib/detect/box.ts";

const box = (x: number, y: number, width: number, height: number): Box => ({ x, y, width, height });

Deno.test("iou() is 1 for identical boxes", () => {
  assert.equal(iou(box(3, 4, 10, 20), box(3, 4, 10, 20)), 1);
});

Deno.test("iou() is 0 for disjoint boxes and for boxes that only touch", () => {
  assert.equal(iou(box(0, 0, 10, 10), box(20, 20, 5, 5)), 0);
  assert.equal(iou(box(0, 0, 10, 10), box(10, 0, 10, 10)), 0); // shared edge
  assert.equal(iou(box(0, 0, 10, 10), box(10, 10, 10, 10)), 0); // shared corner
});

Deno.test("iou() divides the intersection by the union", () => {
  assert.equal(iou(box(0, 0, 2, 2), box(1, 0, 2, 2)), 2 / 6);
  assert.equal(iou(box(0, 0, 4, 4), box(2, 2, 4, 4)), 4 / 28);
  assert.equal(iou(box(0, 0, 10, 10), box(2, 2, 5, 5)), 25 / 100); // contained
});

Deno.test("iou() is symmetric", () => {
  const a = box(1.5, 2, 7, 3), b = box(4, -1, 2, 9);
  assert.equal(iou(a, b), iou(b, a));
});

Deno.test("iou() is 0 when either box is empty", () => {
  assert.equal(iou(box(0, 0, 0, 0), box(0, 0, 0, 0)), 0);
  assert.equal(iou(box(5, 5, 0, 10), box(0, 0, 10, 10)), 0);
});

Deno.test("intersection() is the overlap area or 0", () => {
  assert.equal(intersection(box(0, 0, 4, 4), box(2, 1, 4, 4)), 6);
  assert.equal(intersection(box(0, 0, 4, 4), box(5, 5, 1, 1)), 0);
  assert.equal(intersection(box(0, 0, 10, 10), box(2, 2, 3, 3)), 9);
});
