/**
 * For the widget's DOM tests (vitest runs in Node, with no DOM): bundles a harness script —
 * TypeScript importing the widget's own modules, relative to widget/src — with esbuild as the
 * widget build does, and runs it in Debian's Chromium, headless, on a blank page `html`: no
 * server, no network. Never imported by the widget itself.
 */
import { chromium, type Browser, type Page } from "@playwright/test";
import { build } from "esbuild";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The browser (close it after the tests) and the page with the harness loaded. */
export const openHarness = async (harness: string, html = "<!doctype html><html><body></body></html>"): Promise<{ browser: Browser; page: Page }> => {
  const bundle = await build({
    stdin: { contents: harness, resolveDir: dirname(fileURLToPath(import.meta.url)), loader: "ts" },
    bundle: true,
    format: "iife",
    write: false,
    logLevel: "silent",
  });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const page = await (await browser.newContext()).newPage();
  await page.setContent(html);
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  return { browser, page };
};
