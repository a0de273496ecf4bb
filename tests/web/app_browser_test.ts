/**
 * The demo web app (`web/`) in a real browser: Debian's Chromium driven by playwright-core (the
 * system browser, no download) against the real server (functions/main.ts) on a loopback port.
 * Screenshots go to `tests/artifacts/` (gitignored). Without /usr/bin/chromium (or
 * `$FACEGATE_CHROMIUM`) the suite is ignored, never passed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { decodeImage } from "../../lib/image/mod.ts";
import { FAR_PRESETS } from "../../lib/usecases/mod.ts";
import { dataDir } from "../_data.ts";
import { createAdminKey, type ServerProcess, startServer } from "../integration/_api_scenario.ts";
import { y4m } from "./_y4m.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

// The callbacks of page.evaluate run in the page: its globals, typed loosely here (Deno's
// type check has no DOM library).
// deno-lint-ignore no-explicit-any
type Dom = any;
declare const document: Dom;
declare const sessionStorage: Dom;

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
const GROUP = `${DATA}/faces-misc/multi_insightface_t1.jpg`;
const ARNOLD = [3, 4, 5].map((n) =>
  `${DATA}/faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_000${n}.jpg`
);
const SERENA = `${DATA}/faces/Serena_Williams/Serena_Williams_0001.jpg`;
/** The flags of every launch (playwright adds --headless and a fresh --user-data-dir). */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A browser on a fresh profile; `extra` flags and camera permission for the fake camera. */
async function launch(
  extra: string[] = [],
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix: "facegate_chromium_" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...extra],
    viewport: { width: 1280, height: 900 },
    permissions: extra.length ? ["camera"] : [],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(90_000);
  await page.goto(url);
  await page.waitForSelector("body[data-ready]");
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

/** Clicks `button` and waits for the result panel to show a `kind` result or a problem. */
async function run(page: Page, button: string, kind: string): Promise<string> {
  await page.evaluate(() => document.getElementById("result")!.removeAttribute("data-kind"));
  await page.click(button);
  await page.waitForSelector(`#result[data-kind="${kind}"], #result[data-kind="problem"]`);
  return await page.locator("#result").innerText();
}

interface DetectedFace {
  box: Box;
  quality: { score: number };
}

async function detectViaApi(url: string, path: string): Promise<DetectedFace[]> {
  const res = await fetch(`${url}/v1/detect`, {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: await Deno.readFile(path),
  });
  assert.equal(res.status, 200);
  return (await res.json()).faces;
}

/** The faces drawn on the page: the box in data-box and the label. */
function drawn(page: Page): Promise<{ box: number[]; label: string | null }[]> {
  return page.$$eval("#overlay g.face", (gs) =>
    gs.map((g) => ({
      box: (g as Dom).dataset.box!.split(",").map(Number),
      label: (g as Dom).dataset.label ?? null,
    })));
}

function iou(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (x * y) / (a.width * a.height + b.width * b.height - x * y);
}
const asBox = ([x, y, width, height]: number[]): Box => ({ x, y, width, height });

async function withServer(
  env: Record<string, string>,
  fn: (server: ServerProcess) => Promise<void>,
): Promise<void> {
  const server = await startServer({ FACEGATE_RATE_LIMIT: "0", ...env });
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "the web app detects, enrolls, verifies, identifies, compares and deletes in Chromium",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  await withServer({ FACEGATE_STORE: "memory", FACEGATE_AUTH: "off" }, async (server) => {
    const browser = await launch();
    try {
      const page = await openApp(browser.context, `${server.url}/`);
      const detected = await detectViaApi(server.url, GROUP);
      const groupFaces = detected.map((f) => f.box);
      assert.ok(groupFaces.length >= 2);

      await t.step(
        "an uploaded photo gets one box per detected face, over the face's pixels",
        async () => {
          await shot(page, "01_empty");
          await page.setInputFiles("#file", GROUP);
          const text = await run(page, "#detect", "detect");
          assert.match(text, new RegExp(`faces\\s+${groupFaces.length}\\b`));
          const faces = await drawn(page);
          assert.equal(faces.length, groupFaces.length);
          faces.forEach((f, i) => assert.deepEqual(asBox(f.box), groupFaces[i]));
          // On screen: each rectangle sits where its box is in the displayed image.
          const geometry = await page.evaluate(() => {
            const img = document.getElementById("image") as Dom;
            const r = img.getBoundingClientRect();
            return {
              img: { left: r.left, top: r.top, scale: r.width / img.naturalWidth },
              rects: [...document.querySelectorAll("#overlay g.face rect")].map((e: Dom) => {
                const b = e.getBoundingClientRect();
                return { left: b.left, top: b.top, width: b.width };
              }),
            };
          });
          geometry.rects.forEach((r, i) => {
            const box = groupFaces[i];
            const s = geometry.img.scale;
            // The stroke straddles the edge: allow its width.
            assert.ok(Math.abs(r.left - (geometry.img.left + box.x * s)) < 4, `face ${i} left`);
            assert.ok(Math.abs(r.top - (geometry.img.top + box.y * s)) < 4, `face ${i} top`);
            assert.ok(Math.abs(r.width - box.width * s) < 8, `face ${i} width`);
          });
          assert.equal(await page.locator("#overlay circle.landmark").count(), 5 * faces.length);
          await shot(page, "02_detect_group");
        },
      );

      await t.step("enroll, then the gate accepts the person and rejects others", async () => {
        await page.setInputFiles("#file", ARNOLD[0]);
        await page.fill("#enroll-name", "arnold");
        assert.match(await run(page, "#enroll", "enroll"), /Enrolled arnold/);
        await page.waitForSelector('#subjects tr[data-subject="arnold"]');

        await page.fill("#verify-name", "arnold");
        const presets = await page.$$eval(
          "#far option",
          (os) => os.map((o) => (o as Dom).value),
        );
        assert.deepEqual(presets, ["", ...FAR_PRESETS]);
        await page.selectOption("#far", "1e-3");
        await page.setInputFiles("#file", ARNOLD[1]);
        assert.match(await run(page, "#verify", "verify"), /Accepted: arnold[\s\S]*FAR 1e-3/);
        assert.equal(await page.getAttribute("#result", "data-verdict"), "yes");
        await shot(page, "03_verify_accept");
        await page.setInputFiles("#file", SERENA);
        assert.match(await run(page, "#verify", "verify"), /Rejected/);
        assert.equal(await page.getAttribute("#result", "data-verdict"), "no");
        // Gate mode takes one face only: a group photo is refused with the problem's title.
        await page.setInputFiles("#file", GROUP);
        await run(page, "#verify", "verify");
        assert.equal(await page.getAttribute("#result", "data-kind"), "problem");
        assert.equal(await page.locator("#result .title").innerText(), "Multiple faces found");
        assert.ok((await page.locator("#result .detail").innerText()).length > 10);
        await shot(page, "04_verify_group_refused");
      });

      await t.step("identify labels each face of a group photo by name or unknown", async () => {
        await page.setInputFiles("#file", GROUP);
        await run(page, "#detect", "detect");
        // The two best faces by quality (enrolment refuses faces that fail the quality gate).
        const chosen = detected.map((f, i) => ({ q: f.quality.score, i }))
          .sort((a, b) => b.q - a.q).slice(0, 2).map((f) => f.i);
        for (const [n, i] of chosen.entries()) {
          await page.click(`#overlay g.face[data-index="${i}"] rect`);
          assert.equal(await page.locator("#overlay g.face.selected").count(), 1);
          await page.fill("#enroll-name", `guest-${n}`);
          assert.match(await run(page, "#enroll", "enroll"), new RegExp(`Enrolled guest-${n}`));
        }
        const text = await run(page, "#identify", "identify");
        assert.match(text, new RegExp(`faces\\s+${groupFaces.length}\\b`));
        const faces = await drawn(page);
        assert.equal(faces.length, groupFaces.length);
        for (const [i, expected] of groupFaces.entries()) {
          const f = faces.find((d) => iou(asBox(d.box), expected) > 0.7);
          assert.ok(f, `face ${i} is drawn`);
          const n = chosen.indexOf(i);
          assert.equal(f.label, n >= 0 ? `guest-${n}` : "unknown", `face ${i}`);
        }
        await shot(page, "05_identify_group");
      });

      await t.step("compare shows distance, threshold and the decision", async () => {
        await page.setInputFiles("#cmp-a", ARNOLD[1]);
        await page.setInputFiles("#cmp-b", ARNOLD[2]);
        assert.match(
          await run(page, "#compare", "compare"),
          /Same person[\s\S]*distance\s+0\.\d{3}[\s\S]*threshold\s+\d\.\d{3}/,
        );
        await page.setInputFiles("#cmp-b", SERENA);
        assert.match(await run(page, "#compare", "compare"), /Different people/);
      });

      await t.step("subjects are listed and deleted (after the confirmation)", async () => {
        await page.click("#list");
        await page.waitForSelector('#subjects[data-count="3"]');
        page.once("dialog", (d) => d.accept());
        await page.click('#subjects tr[data-subject="arnold"] button');
        await page.waitForSelector('#subjects[data-count="2"]');
        assert.equal(await page.locator('#subjects tr[data-subject="arnold"]').count(), 0);
        const res = await fetch(`${server.url}/v1/collections/demo/subjects`);
        assert.deepEqual(
          (await res.json()).subjects.map((s: { subject: string }) => s.subject).sort(),
          ["guest-0", "guest-1"],
        );
      });

      await t.step("the README screenshot shows the app without a photo", async () => {
        // A fresh page: no research photo on screen (docs/web_app.png is copied from this one).
        await page.setViewportSize({ width: 1100, height: 740 });
        await page.reload();
        await page.waitForSelector("body[data-ready]");
        await page.click("#list");
        await page.waitForSelector('#subjects[data-count="2"]');
        assert.equal(await page.locator("#image").isVisible(), false);
        await page.evaluate(() => document.scrollingElement.scrollTo(0, 0));
        await Deno.mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: new URL("readme_web_app.png", ARTIFACTS).pathname });
      });
    } finally {
      await browser.close();
    }
  });
});

Deno.test({
  name: "the web app takes a photo with the camera (Chromium's fake device) and finds the face",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_y4m_" });
  const photo = await Deno.readFile(ARNOLD[0]);
  const raster = await decodeImage(photo);
  const video = `${dir}/camera.y4m`;
  await Deno.writeFile(video, y4m(raster, 3));
  try {
    await withServer({ FACEGATE_STORE: "memory", FACEGATE_AUTH: "off" }, async (server) => {
      const expected = (await detectViaApi(server.url, ARNOLD[0]))[0].box;
      const browser = await launch([
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`,
      ]);
      try {
        const page = await openApp(browser.context, `${server.url}/`);
        await page.click("#camera");
        await page.waitForSelector("#snap:not([hidden])");
        await page.waitForFunction(() => (document.getElementById("video") as Dom).videoWidth > 0);
        await shot(page, "06_camera_live");
        await page.click("#snap");
        await page.waitForSelector("#image:not([hidden])");
        assert.match(await run(page, "#detect", "detect"), /faces\s+1\b/);
        const [face] = await drawn(page);
        const size = await page.evaluate(() => {
          const img = document.getElementById("image") as Dom;
          return { w: img.naturalWidth, h: img.naturalHeight };
        });
        // The frame is the photo (cropped to even sides, maybe scaled): the face is where it was.
        const s = size.w / (raster.width & ~1);
        const scaled = {
          x: expected.x * s,
          y: expected.y * s,
          width: expected.width * s,
          height: expected.height * s,
        };
        assert.ok(iou(asBox(face.box), scaled) > 0.8, JSON.stringify({ face, scaled, size }));
        await shot(page, "07_camera_detect");
      } finally {
        await browser.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "the Gate's liveness challenge with a still image as the camera shows its prompts and is refused",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_y4m_" });
  const video = `${dir}/still.y4m`;
  await Deno.writeFile(video, y4m(await decodeImage(await Deno.readFile(ARNOLD[0])), 3));
  try {
    await withServer({ FACEGATE_STORE: "memory", FACEGATE_AUTH: "off" }, async (server) => {
      const browser = await launch([
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`,
      ]);
      try {
        const page = await openApp(browser.context, `${server.url}/`);
        await page.fill("#verify-name", "arnold");
        await page.evaluate(() => document.getElementById("result")!.removeAttribute("data-kind"));
        await page.click("#challenge");
        // Every step of the random challenge is prompted, with progress.
        const seen = new Set<string>();
        for (let i = 0; i < 80 && seen.size < 3; i++) {
          const step = await page.evaluate(() =>
            (document.getElementById("challenge-prompt") as Dom).dataset.step ?? ""
          );
          if (step && !seen.has(step)) {
            seen.add(step);
            await shot(page, `08_challenge_${step}`);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(seen.has("look") && seen.has("blink"), [...seen].join());
        assert.ok(seen.has("turn_left") || seen.has("turn_right"), [...seen].join());
        await page.waitForSelector('#result[data-kind="challenge"], #result[data-kind="problem"]');
        const text = await page.locator("#result").innerText();
        assert.match(text, /Liveness challenge refused/);
        assert.match(text, /duplicate_frames|static_frames/);
        assert.equal(await page.getAttribute("#result", "data-verdict"), "no");
        assert.match(await page.locator("#challenge-prompt").innerText(), /^Refused: /);
        await shot(page, "09_challenge_refused");
      } finally {
        await browser.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "with API keys on, the app refuses without a key and works once it is entered (sessionStorage, never the URL)",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_web_keys_" });
  const env = {
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: `${dir}/facegate.kv`,
    FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
    FACEGATE_AUTH: "keys",
  };
  try {
    const key = await createAdminKey(env);
    await withServer(env, async (server) => {
      const browser = await launch();
      try {
        const page = await openApp(browser.context, `${server.url}/`);
        await page.click("#list");
        await page.waitForSelector('#result[data-kind="problem"]');
        assert.equal(await page.locator("#result .title").innerText(), "Unauthorized");
        await shot(page, "08_keys_missing");
        await page.fill("#key", key);
        await page.setInputFiles("#file", ARNOLD[0]);
        await page.fill("#enroll-name", "arnold");
        assert.match(await run(page, "#enroll", "enroll"), /Enrolled arnold/);
        await page.waitForSelector('#subjects[data-count="1"]');
        assert.equal(await page.evaluate(() => sessionStorage.getItem("facegate.apiKey")), key);
        assert.ok(!page.url().includes(key.slice(-8)));
        // A reload keeps the key for this tab.
        await page.reload();
        await page.waitForSelector("body[data-ready]");
        assert.equal(await page.inputValue("#key"), key);
        await page.click("#list");
        await page.waitForSelector('#subjects[data-count="1"]');
        // /docs in the same tab finds the key in sessionStorage and its "Try it" sends it.
        await page.goto(`${server.url}/docs`);
        await page.waitForSelector("#ops details");
        assert.equal(await page.inputValue("#api-key"), key);
        const status = await page.evaluate(async () => {
          const details = [...document.querySelectorAll("#ops details")].find((d: Dom) =>
            d.querySelector("summary").textContent.startsWith(
              "GET/v1/collections/{collection}/subjects — ",
            )
          );
          details.open = true;
          details.querySelector('input[name="param:collection"]').value = "demo";
          details.querySelector("button").click();
          const out = details.querySelector("pre");
          for (let i = 0; i < 200 && !/^\d{3} /.test(out.textContent); i++) {
            await new Promise((r) => setTimeout(r, 50));
          }
          return out.textContent.slice(0, 3);
        });
        assert.equal(status, "200");
        await shot(page, "09_docs_with_key");
        await page.goto(`${server.url}/`);
        await page.waitForSelector("body[data-ready]");
        // A wrong key is refused again.
        await page.fill("#key", `${key.slice(0, -4)}0000`);
        await page.click("#list");
        await page.waitForSelector('#result[data-kind="problem"]');
        assert.equal(await page.locator("#result .title").innerText(), "Unauthorized");
      } finally {
        await browser.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
