/**
 * The routes with every accepted image format: a dev photo converted at test time to HEIC, WebP,
 * AVIF and GIF verifies against the enrolled JPEG of the same person (sent as its own media type
 * or as `application/octet-stream`), and broken or oversized files of each format get the right
 * 4xx problem. Ignored (skipped) without Debian's conversion tools.
 */
import assert from "node:assert/strict";
import { decodeImage } from "../../lib/image/mod.ts";
import { assertProblem, base64, DATA_ROOT, json, makeApp, PHOTOS, readData } from "./_fixtures.ts";
import {
  convertPhoto,
  fixtureDir,
  formatTools,
  type Target,
} from "../lib/image/_format_fixtures.ts";

const missing = await formatTools();
const ignore = missing.length > 0;
const dir = ignore ? "" : await fixtureDir();
const { app } = makeApp();
if (!ignore) {
  await json(
    await app.request("/v1/collections/c/subjects/serena/faces", {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: readData(PHOTOS.serena1),
    }),
    201,
  );
}

const FORMATS: [Target, string][] = [
  ["heic", "image/heic"],
  ["heic-grid", "image/heif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["gif", "image/gif"],
];

function post(body: Uint8Array, type: string): RequestInit {
  return { method: "POST", headers: { "content-type": type }, body: body as BlobPart };
}

const verify = "/v1/collections/c/subjects/serena/verify";

for (const [target, type] of FORMATS) {
  Deno.test({
    name: `POST …/verify accepts a ${target} of the enrolled person as ${type} and as octet-stream`,
    ignore,
    async fn() {
      const bytes = await convertPhoto(dir, `${DATA_ROOT}/${PHOTOS.serena2}`, target);
      for (const as of [type, "application/octet-stream"]) {
        const body = await json<{ match: boolean; distance: number }>(
          await app.request(verify, post(bytes, as)),
        );
        assert.equal(body.match, true, `${as}: distance ${body.distance}`);
      }
      const other = await convertPhoto(dir, `${DATA_ROOT}/${PHOTOS.arnold1}`, target);
      const body = await json<{ match: boolean }>(await app.request(verify, post(other, type)));
      assert.equal(body.match, false);
      // Truncated and corrupt files are the client's problem: 400, never 5xx.
      const cut = bytes.subarray(0, bytes.length >> 1);
      await assertProblem(await app.request(verify, post(cut, type)), 400, "invalid_image");
      const garbage = bytes.slice(0, 64);
      garbage.fill(0x55, 40);
      await assertProblem(await app.request(verify, post(garbage, type)), 400, "invalid_image");
    },
  });
}

Deno.test({
  name: "POST /v1/detect reads a HEIC from multipart, JSON base64 and a data: URL",
  ignore,
  async fn() {
    const bytes = await convertPhoto(dir, `${DATA_ROOT}/${PHOTOS.arnold1}`, "heic");
    const form = new FormData();
    form.append("image", new Blob([bytes as BlobPart], { type: "image/heic" }), "IMG_0001.HEIC");
    const multipart = await json<{ faces: unknown[] }>(
      await app.request("/v1/detect", { method: "POST", body: form }),
    );
    assert.equal(multipart.faces.length, 1);
    for (const image of [base64(bytes), `data:image/heic;base64,${base64(bytes)}`]) {
      const body = await json<{ faces: unknown[]; width: number }>(
        await app.request("/v1/detect", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ image }),
        }),
      );
      assert.equal(body.faces.length, 1);
      assert.equal(body.width, 250);
    }
  },
});

Deno.test({
  name: "POST /v1/detect answers 413 image_too_large for a HEIC declaring 48 MP in one coded image",
  ignore,
  async fn() {
    const bytes = (await convertPhoto(dir, `${DATA_ROOT}/${PHOTOS.arnold1}`, "heic")).slice();
    const view = new DataView(bytes.buffer);
    for (let i = 4; i + 16 < bytes.length; i++) {
      if (String.fromCharCode(...bytes.subarray(i, i + 4)) === "ispe") {
        view.setUint32(i + 8, 8000);
        view.setUint32(i + 12, 6000);
      }
    }
    const problem = await assertProblem(
      await app.request("/v1/detect", post(bytes, "image/heic")),
      413,
      "image_too_large",
    );
    assert.match(
      problem.detail,
      /8000x6000 HEIC \(even at 1\/8 scale\) needs about \d+ MiB .* send a JPEG, or a HEIC/,
    );
  },
});

Deno.test({
  name:
    "POST /v1/preview returns a grid HEIC upright as a PNG of at most 1280 px, its size in headers",
  ignore,
  async fn() {
    // The dev photo stored 640x480 with EXIF orientation 6: 480x640 upright.
    const photo = `${DATA_ROOT}/faces-misc/pose_insightface_image_T1.jpeg`;
    const bytes = await convertPhoto(dir, photo, "heic-grid-irot");
    const res = await app.request("/v1/preview", post(bytes, "image/heic"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.deepEqual(
      [res.headers.get("x-image-width"), res.headers.get("x-image-height")],
      ["480", "640"],
    );
    const png = await decodeImage(new Uint8Array(await res.arrayBuffer()));
    const twin = await decodeImage(readData("faces-misc/pose_insightface_image_T1.jpeg"));
    assert.deepEqual([png.width, png.height], [480, 640]);
    let diff = 0;
    for (let i = 0; i < png.data.length; i += 4) diff += Math.abs(png.data[i] - twin.data[i]);
    assert.ok(diff / (480 * 640) < 6, `mean red difference ${diff / (480 * 640)}`);
    // A larger grid comes back reduced: 2000x1500 -> 1280x960.
    const big = await convertPhoto(dir, photo, "heic-grid", "2000x1500");
    const large = await app.request("/v1/preview", post(big, "application/octet-stream"));
    assert.equal(large.headers.get("x-image-width"), "2000");
    const reduced = await decodeImage(new Uint8Array(await large.arrayBuffer()));
    assert.deepEqual([reduced.width, reduced.height], [1280, 960]);
    const cut = bytes.subarray(0, bytes.length >> 1);
    await assertProblem(
      await app.request("/v1/preview", post(cut, "image/heic")),
      400,
      "invalid_image",
    );
  },
});

Deno.test("POST /v1/detect answers 415 for a BMP, naming it and the accepted formats", async () => {
  const bmp = new TextEncoder().encode("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00");
  const problem = await assertProblem(
    await app.request("/v1/detect", post(bmp, "application/octet-stream")),
    415,
    "unsupported_media_type",
  );
  assert.match(problem.detail, /"image\/bmp"; accepted: image\/jpeg, image\/png, image\/webp/);
});

Deno.test({
  name: "formats_test: clean up the converted photos",
  ignore,
  async fn() {
    await Deno.remove(dir, { recursive: true });
  },
});
