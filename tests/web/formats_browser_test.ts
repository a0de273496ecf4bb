/**
 * The web app with a photo Chromium cannot show: a grid HEIC (made at test time from a dev photo)
 * is previewed through `POST /v1/preview` and the detected face is drawn over the face, although
 * the preview is smaller than the photo. Ignored without Chromium or Debian's conversion tools.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { dataDir } from "../_data.ts";
import { startServer } from "../integration/_api_scenario.ts";
import { convertPhoto, fixtureDir, formatTools } from "../lib/image/_format_fixtures.ts";

// deno-lint-ignore no-explicit-any
type Dom = any;
declare const document: Dom;

const CHROMIUM = Deno.env.get("FACEGATE_CHROMIUM") ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const missing = await formatTools();

Deno.test({
  name: "the web app previews a HEIC through the server and draws the detected face over it",
  ignore: !HAVE_CHROMIUM || missing.length > 0,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await fixtureDir();
  const server = await startServer({
    FACEGATE_RATE_LIMIT: "0",
    FACEGATE_STORE: "memory",
    FACEGATE_AUTH: "off",
  });
  const profile = await Deno.makeTempDir({ prefix: "facegate_chromium_" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const photo = `${dataDir()}/faces/Serena_Williams/Serena_Williams_0001.jpg`;
    // 1600x1600: the preview comes back at 1280x1280, so the boxes must be scaled.
    const heic = `${dir}/IMG_0001.HEIC`;
    await Deno.writeFile(heic, await convertPhoto(dir, photo, "heic-grid", "1600x1600"));
    const res = await fetch(`${server.url}/v1/detect`, {
      method: "POST",
      headers: { "content-type": "image/heic" },
      body: await Deno.readFile(heic),
    });
    const box = (await res.json()).faces[0].box;

    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(90_000);
    await page.goto(`${server.url}/`);
    await page.waitForSelector("body[data-ready]");
    await page.setInputFiles("#file", heic);
    await page.waitForFunction(() => {
      const img = document.getElementById("image");
      return img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.evaluate(() => document.getElementById("image").naturalWidth), 1280);
    await page.click("#detect");
    await page.waitForSelector('#result[data-kind="detect"], #result[data-kind="problem"]');
    assert.equal(await page.locator("#overlay g.face").count(), 1);
    const g = await page.evaluate(() => {
      const img = document.getElementById("image").getBoundingClientRect();
      const rect = document.querySelector("#overlay g.face rect").getBoundingClientRect();
      return { img: { left: img.left, top: img.top, width: img.width }, rect };
    });
    const s = g.img.width / 1600; // display pixels per photo pixel
    assert.ok(Math.abs(g.rect.left - (g.img.left + box.x * s)) < 4, "box left");
    assert.ok(Math.abs(g.rect.top - (g.img.top + box.y * s)) < 4, "box top");
    assert.ok(Math.abs(g.rect.width - box.width * s) < 8, "box width");
  } finally {
    await context.close();
    await server.stop();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
