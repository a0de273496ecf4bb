/**
 * A new user's path through the web app's console (issue 22) in Chromium, on the server as
 * `deno task dev` runs it (auth off; memory store): pick or create a collection, bulk-enroll three
 * photos, the subject page, delete one face (with the confirmation), identify a group photo with
 * numbered boxes, the gate's live camera (Chromium's fake camera), and "copy as curl" of the last
 * answer run by the test with the same status. Screenshots go to `tests/artifacts/console_*.png`
 * with the research photos hidden (`docs/console_*.png` are copies of those). Without
 * /usr/bin/chromium (or `$FACEGATE_CHROMIUM`) the suite is ignored, never passed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { decodeImage } from "../../lib/image/mod.ts";
import { dataDir } from "../_data.ts";
import { startServer } from "../integration/_api_scenario.ts";
import { y4m } from "./_y4m.ts";

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
const DATA = dataDir();
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const GROUP = `${DATA}/faces-misc/multi_facenet-pytorch_multiface.jpg`;
const CROWD = `${DATA}/faces-misc/multi_retinaface_img3.jpg`;
const TURNED = `${DATA}/faces-misc/pose_insightface_rot_90.jpg`;
const ARNOLD = [3, 4, 5, 6].map((n) =>
  `${DATA}/faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_000${n}.jpg`
);

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function iou(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (x * y) / (a.width * a.height + b.width * b.height - x * y);
}

/** A screenshot with the research photos hidden (boxes, labels and panels stay). */
async function shot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.evaluate(() => {
    for (const id of ["image", "video"]) document.getElementById(id).style.visibility = "hidden";
  });
  await page.screenshot({ path: new URL(`console_${name}.png`, ARTIFACTS).pathname });
  await page.evaluate(() => {
    for (const id of ["image", "video"]) document.getElementById(id).style.visibility = "";
  });
}

/** Clicks `button` and waits for a `kind` result or a problem; returns the result's text. */
async function run(page: Page, button: string, kind: string): Promise<string> {
  await page.evaluate(() => document.getElementById("result").removeAttribute("data-kind"));
  await page.click(button);
  await page.waitForSelector(`#result[data-kind="${kind}"], #result[data-kind="problem"]`);
  return await page.locator("#result").innerText();
}

Deno.test({
  name:
    "a new user's path: collection, bulk enroll, subject page, delete a face, identify, live gate, copy as curl",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_console_" });
  const camera = `${dir}/camera.y4m`;
  await Deno.writeFile(camera, y4m(await decodeImage(await Deno.readFile(ARNOLD[3])), 3));
  const server = await startServer({
    FACEGATE_STORE: "memory",
    FACEGATE_AUTH: "off",
    FACEGATE_RATE_LIMIT: "0",
  });
  const context = await chromium.launchPersistentContext(`${dir}/profile`, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${camera}`,
    ],
    viewport: { width: 1280, height: 900 },
    permissions: ["camera"],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(90_000);
    const consoleErrors: string[] = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    await page.goto(`${server.url}/`);
    await page.waitForSelector("body[data-ready]");

    await t.step("a new collection is named, three photos are enrolled at once", async () => {
      await page.fill("#collection", "team");
      await page.dispatchEvent("#collection", "change");
      await page.waitForSelector("#collection-info:has-text('new')");
      await page.fill("#enroll-name", "arnold");
      await page.setInputFiles("#enroll-files", ARNOLD.slice(0, 3));
      const text = await run(page, "#enroll", "bulk");
      assert.match(text, /Enrolled 3 of 3 photos as arnold/);
      for (const f of ARNOLD.slice(0, 3)) {
        assert.match(text, new RegExp(`${f.split("/").pop()}\\s+enrolled, quality 0\\.\\d\\d`));
      }
      // The picker now offers the collection, with its counts.
      await page.waitForSelector('#collections option[value="team"]', { state: "attached" });
      assert.match(await page.innerText("#collection-info"), /1 subjects · 3 faces · verify ≤/);
      await page.waitForSelector('#subjects[data-count="1"]');
    });

    await t.step("the subject page lists the faces; deleting one asks first", async () => {
      await page.waitForSelector('#subject-panel:not([hidden]) #faces[data-count="3"]');
      assert.equal(await page.innerText("#subject-name"), "arnold");
      const rows = await page.$$eval(
        "#faces tbody tr",
        (trs) => trs.map((tr: Dom) => [...tr.cells].map((c: Dom) => c.textContent)),
      );
      for (const [, quality, date] of rows) {
        assert.match(quality, /^0\.\d\d$/);
        assert.ok(date.length > 6);
      }
      await shot(page, "subject_page");
      // Dismissed: nothing is deleted.
      page.once("dialog", (d) => d.dismiss());
      await page.click("#faces tbody tr:first-child button");
      await page.waitForTimeout(300);
      assert.equal(await page.getAttribute("#faces", "data-count"), "3");
      let asked = "";
      page.once("dialog", (d) => {
        asked = d.message();
        d.accept();
      });
      await page.click("#faces tbody tr:first-child button");
      await page.waitForSelector('#faces[data-count="2"]');
      assert.match(asked, /Delete this face of arnold\?/);
      assert.match(await page.innerText("#collection-info"), /1 subjects · 2 faces/);
    });

    await t.step(
      "identify numbers each face of a group photo, on the photo and in the list",
      async () => {
        await page.setInputFiles("#file", GROUP);
        const text = await run(page, "#identify", "identify");
        const n = Number(text.match(/faces\s+(\d+)/)![1]);
        assert.ok(n >= 4, text);
        const labels = await page.$$eval(
          "#overlay g.face text",
          (ts) => ts.map((e: Dom) => e.textContent),
        );
        assert.deepEqual(
          labels,
          Array.from({ length: n }, (_, i) => `${i + 1} unknown`),
        );
        for (let i = 1; i <= n; i++) assert.match(text, new RegExp(`face ${i}\\s+unknown`));
        assert.match(text, /threshold\s+\d\.\d{3} \(calibrated default\)/);
        await shot(page, "identify_numbered");
      },
    );

    await t.step(
      "a capped answer says how many faces were found; a turned photo's boxes are drawn in its own orientation",
      async () => {
        await page.setInputFiles("#file", CROWD);
        const text = await run(page, "#identify", "identify");
        const m = text.match(/faces\s+(\d+) of (\d+)/);
        assert.ok(m, text);
        assert.equal(Number(m[1]), await page.locator("#overlay g.face").count());
        assert.ok(Number(m[2]) > Number(m[1]));
        // Numbers only, no names, when there are many faces (labels would overlap).
        const labels = await page.$$eval(
          "#overlay g.face text",
          (ts) => ts.map((e: Dom) => e.textContent),
        );
        assert.deepEqual(labels, labels.map((_, i) => String(i + 1)));

        const res = await fetch(`${server.url}/v1/detect`, {
          method: "POST",
          headers: { "content-type": "image/jpeg" },
          body: await Deno.readFile(TURNED),
        });
        const upright = (await res.json()).faces.map((f: { box: Box }) => f.box);
        await page.setInputFiles("#file", TURNED);
        await run(page, "#identify", "identify");
        const answer = await page.$eval("#json", (e: Dom) => e.textContent);
        assert.equal(JSON.parse(answer).rotation, 270);
        const [drawn] = await page.$$eval(
          "#overlay g.face",
          (gs) => gs.map((g: Dom) => g.dataset.box.split(",").map(Number)),
        );
        const [x, y, width, height] = drawn;
        const box = { x, y, width, height };
        assert.ok(upright.some((b: Box) => iou(b, box) > 0.5), JSON.stringify({ drawn, upright }));
      },
    );

    await t.step(
      "the live gate accepts the enrolled person from the camera, and stops when the tab is hidden",
      async () => {
        await page.fill("#verify-name", "arnold");
        await page.click("#live-verify");
        await page.waitForSelector('#result[data-verdict="yes"]');
        const text = await page.innerText("#result");
        assert.match(text, /Accepted: arnold \(live\)/);
        assert.match(text, /threshold\s+\d\.\d{3} \(calibrated default\)/);
        assert.ok(Number(await page.getAttribute("#result", "data-frames")) >= 2);
        assert.equal(await page.getAttribute("body", "data-live"), "verify");
        assert.equal(await page.locator("#result .bar.yes").count(), 1);
        await shot(page, "live_gate");
        await page.evaluate(() => {
          Object.defineProperty(document, "hidden", { value: true, configurable: true });
          document.dispatchEvent(new Event("visibilitychange"));
        });
        await page.waitForFunction(() => !document.body.dataset.live);
        const frames = await page.getAttribute("#result", "data-frames");
        await page.waitForTimeout(1500);
        assert.equal(await page.getAttribute("#result", "data-frames"), frames);
        await page.evaluate(() => delete document.hidden);
        // Live identify: each frame's faces numbered and named, until pressed again.
        await page.click("#live-identify");
        await page.waitForFunction(() =>
          Number(document.getElementById("result").dataset.frames) >= 2
        );
        await page.waitForSelector('#overlay g.face[data-label="arnold"]');
        assert.deepEqual(
          await page.$$eval("#overlay g.face text", (ts) => ts.map((e: Dom) => e.textContent)),
          ["1 arnold"],
        );
        await page.click("#live-identify");
        await page.waitForFunction(() => !document.body.dataset.live);
      },
    );

    await t.step(
      "copy as curl of the last answer runs and gives the same status; the key is redacted unless asked",
      async () => {
        await page.fill("#key", "fg_not_checked_when_auth_is_off");
        await page.setInputFiles("#file", ARNOLD[3]);
        assert.match(await run(page, "#verify", "verify"), /Accepted: arnold/);
        await page.click("#answer summary");
        await page.click("#copy-curl");
        const status = await page.getAttribute("#answer", "data-status");
        assert.equal(status, "200");
        const json = JSON.parse(await page.innerText("#json"));
        const curl = await page.innerText("#curl");
        assert.match(curl, /\$FACEGATE_API_KEY/);
        assert.doesNotMatch(curl, /fg_not_checked/);
        await page.check("#with-key");
        assert.match(await page.innerText("#curl"), /Bearer fg_not_checked_when_auth_is_off/);
        await shot(page, "json_curl");
        // The test runs it where the photo is (under its own name), as a user would.
        await Deno.copyFile(ARNOLD[3], `${dir}/${ARNOLD[3].split("/").pop()}`);
        const out = await new Deno.Command("sh", {
          args: ["-c", `${curl} -o body.json -w '%{http_code}'`],
          cwd: dir,
          env: { FACEGATE_API_KEY: "x" },
        }).output();
        assert.equal(
          new TextDecoder().decode(out.stdout),
          status,
          new TextDecoder().decode(out.stderr),
        );
        const again = JSON.parse(await Deno.readTextFile(`${dir}/body.json`));
        assert.equal(again.match, json.match);
        assert.equal(again.distance, json.distance);
      },
    );

    await t.step("the page and /docs load without console errors (favicon included)", async () => {
      await page.goto(`${server.url}/docs`);
      await page.waitForSelector("#ops details");
      assert.ok(await page.locator("#ops code").count() > 10, "Markdown code spans rendered");
      assert.ok(await page.locator('select[name="param:face"]').count() > 0, "face values offered");
      assert.ok(await page.locator('select[name="param:far"]').count() > 0, "far values offered");
      assert.deepEqual(consoleErrors, []);
    });
  } finally {
    await context.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
