// Builds the website widget with esbuild (run by `npm run build` after Remix):
//   widget/src/loader.ts  → public/widget.js          (the loader the snippet includes)
//   widget/src/chat-ui.ts → public/widget/chat-ui.js  (the chat UI, loaded on first need)
// Both are minified IIFEs with no dependency. The loader names the chunk with a content hash
// (`?v=…`) so a new chunk is never mixed with a cached loader or the other way round.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const common = {
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  // Browsers from 2021 on: ?. and ?? stay as written (esbuild lowers ?. for Chrome < 91).
  target: ["es2020", "chrome91", "firefox90", "safari15"],
  legalComments: "none",
  charset: "utf8",
  write: false,
  logLevel: "warning",
};

const bundle = async (entry, define = {}) => {
  const result = await build({ ...common, entryPoints: [join(root, entry)], define });
  return result.outputFiles[0].contents;
};

/**
 * Builds both bundles in memory and returns their bytes; writes them under `outDir` (default
 * public/) unless `write` is false.
 * @param {{ write?: boolean, outDir?: string }} [options]
 * @returns {Promise<{ loader: Uint8Array, ui: Uint8Array, chunkPath: string }>}
 */
export const buildWidget = async ({ write = true, outDir = join(root, "public") } = {}) => {
  const ui = await bundle("widget/src/chat-ui.ts");
  const version = createHash("sha256").update(ui).digest("hex").slice(0, 12);
  const chunkPath = `/widget/chat-ui.js?v=${version}`;
  const loader = await bundle("widget/src/loader.ts", { CHUNK_PATH: JSON.stringify(chunkPath) });
  if (write) {
    await mkdir(join(outDir, "widget"), { recursive: true });
    await writeFile(join(outDir, "widget.js"), loader);
    await writeFile(join(outDir, "widget", "chat-ui.js"), ui);
  }
  return { loader, ui, chunkPath };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { loader, ui } = await buildWidget();
  console.log(`widget: public/widget.js ${loader.byteLength} B, public/widget/chat-ui.js ${ui.byteLength} B`);
}
