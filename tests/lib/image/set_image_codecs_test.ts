import assert from "node:assert/strict";
import { decodeImage, setImageCodecs } from "../../../lib/image/mod.ts";
import { TINY_JPEGS } from "./_fixtures.ts";

async function compile(name: string): Promise<WebAssembly.Module> {
  const url = new URL(import.meta.resolve(`imagescript/wasm/any/${name}.wasm`));
  return WebAssembly.compile(await Deno.readFile(url));
}

Deno.test("setImageCodecs() installs precompiled modules that decodeImage() then uses", async () => {
  setImageCodecs({ jpeg: await compile("jpeg"), png: await compile("png") });
  const r = await decodeImage(TINY_JPEGS.baseline);
  assert.equal(r.width, 16);
});

Deno.test("setImageCodecs() throws TypeError for anything but WebAssembly modules", async () => {
  const png = await compile("png");
  assert.throws(() => setImageCodecs({ jpeg: new Uint8Array(4), png } as never), TypeError);
  assert.throws(() => setImageCodecs(undefined as never), TypeError);
});
