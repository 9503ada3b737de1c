/**
 * Benchmark: a generated 500-node flow opened on the canvas in headless Chromium — the time
 * from navigation start until the canvas is interactive. Target ≤ 1.5 s. Measured on the
 * test-only /dev/canvas page (`builder.canvas_…`) and in the real flow editor, signed in, with
 * the same flow imported from the flow list (`builder.flow_editor_…`). Median of 3 page loads
 * each, every one in a fresh browser context (cold HTTP cache), against the BUILT server
 * (`npm run build` first) with its own database. Run directly it prints JSON lines; `run()`
 * returns the figures for bench/run-all.ts.
 *
 * "Interactive" means: the first view is at a readable zoom (≥ 50 %), every card that view
 * shows is rendered and visible (React Flow hides a card it cannot size yet), and a click on
 * the start node selects it. A flow this big is windowed (flow-editor.tsx, WINDOWED_FROM):
 * only the cards in view are in the page, so the bench does not count cards in the DOM. It
 * works out on its own which cards the view must show — from the same generated, laid-out
 * document the server sends, each card's estimated box, and the viewport React Flow applied —
 * and waits for every one of them. See docs/decisions/015-canvas-big-flows.md.
 *
 * Also printed: the main thread's busy time until interactive (Chromium's TaskDuration; the
 * machine is shared, so CPU time is steadier than wall time), how many cards the first view
 * shows, and the time from dragging the pane up by a screen until every card then in view is
 * shown — the work windowing moves from opening to panning; and Auto-layout of all 500 cards:
 * the time until its button is back, and the longest main-thread task meanwhile (dagre runs in
 * a worker, so the page keeps answering).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type BrowserContextOptions } from "playwright-core";
import { autoLayout } from "../app/components/flow-editor/auto-layout.js";
import { estimateNodeSize } from "../app/components/flow-editor/card-size.js";
import { generateDocument } from "../app/components/flow-editor/generate.js";
import { startServer } from "./http-harness.js";

const NODES = 500;
/** The admin the bench's server starts with; the editor page needs a signed-in user. */
const ADMIN = { email: "bench-admin@parley.local", password: "bench-admin-password" };
const RUNS = 3;
/** The first view must be readable: below this zoom card text cannot be read. */
const MIN_ZOOM = 0.5;
/** Cards within this many pixels of the pane's edge may or may not be mounted yet. */
const EDGE_SLACK = 24;
/** The flags playwright.config.ts gives Debian's Chromium. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Box {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The flow both pages open: dev.canvas.tsx lays out the same generated document; the editor gets it imported. */
const laidOut = () => autoLayout(generateDocument(NODES, `generated_${NODES}`));

/** Where each card of the flow sits, by its estimated size. */
const cardBoxes = (document: ReturnType<typeof laidOut>): ReadonlyArray<Box> =>
  document.nodes.map((node) => ({ id: node.id, ...node.position, ...estimateNodeSize(node) }));

/**
 * Signs in as the admin and imports the flow `file` from the flow list as a person would; returns
 * the new flow's editor URL and the signed-in session for later page loads.
 */
const importFlow = async (browser: Browser, base: string, file: string): Promise<{ url: string; session: BrowserContextOptions["storageState"] }> => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
    await page.goto(`${base}/flows`);
    await page.getByLabel("Flow file (.json)").setInputFiles(file);
    await page.getByRole("button", { name: "Import flow" }).click();
    await page.waitForURL(/\/flows\/flow_/, { timeout: 60_000 });
    return { url: page.url(), session: await context.storageState() };
  } finally {
    await context.close();
  }
};

interface Sample {
  readonly interactiveMs: number;
  readonly mainThreadMs: number;
  readonly cardsInView: number;
  readonly panMs: number;
  readonly layoutMs: number;
  readonly layoutLongestTaskMs: number;
}

interface ViewCheck {
  readonly boxes: ReadonlyArray<Box>;
  readonly minZoom: number;
  readonly slack: number;
}

/**
 * Runs in the page: the number of cards the current view shows when every one of them is
 * rendered and visible, else false. Throws when the view is too far out to read.
 */
const viewReady = ({ boxes, minZoom, slack }: ViewCheck): number | false => {
  const pane = document.querySelector(".react-flow")?.getBoundingClientRect();
  const transform = document.querySelector<HTMLElement>(".react-flow__viewport")?.style.transform ?? "";
  const match = /translate\((-?[\d.]+)px, ?(-?[\d.]+)px\) scale\(([\d.]+)\)/.exec(transform);
  if (!pane || pane.width === 0 || !match) return false;
  const [tx, ty, zoom] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (zoom < minZoom) throw new Error(`the view is at ${Math.round(zoom * 100)} %: cards are not readable`);
  const shown = new Map<string, HTMLElement>();
  for (const card of document.querySelectorAll<HTMLElement>('[aria-roledescription="node"]')) shown.set(card.dataset.id ?? "", card);
  let expected = 0;
  for (const box of boxes) {
    const left = tx + box.x * zoom;
    const top = ty + box.y * zoom;
    const inside = left < pane.width - slack && left + box.width * zoom > slack && top < pane.height - slack && top + box.height * zoom > slack;
    if (!inside) continue;
    expected++;
    const card = shown.get(box.id);
    if (!card || card.style.visibility === "hidden") return false;
  }
  return expected;
};

/** One cold page load: time to interactive, the main thread's busy time until then, a one-screen pan, and auto-layout. */
const measureOnce = async (
  browser: Browser,
  url: string,
  boxes: ReadonlyArray<Box>,
  session?: BrowserContextOptions["storageState"],
): Promise<Sample> => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...(session ? { storageState: session } : {}) });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const check: ViewCheck = { boxes, minZoom: MIN_ZOOM, slack: EDGE_SLACK };
    await page.goto(url, { waitUntil: "commit" });
    // Polled every 50 ms: the check itself must not slow the page it measures.
    const inView = await page.waitForFunction(viewReady, check, { polling: 50, timeout: 60_000 });
    const cardsInView = (await inView.jsonValue()) as number;
    if (cardsInView < 3) throw new Error(`the first view shows ${cardsInView} cards: expected a screenful`);
    // Clicks before hydration do nothing, so click until the node is selected.
    const start = page.locator('[aria-roledescription="node"][data-id="message_1"]');
    for (let attempt = 0; ; attempt++) {
      await start.click({ position: { x: 130, y: 14 }, timeout: 30_000 });
      const selected = await page
        .waitForFunction(() => document.querySelector('[aria-roledescription="node"][data-id="message_1"]')?.classList.contains("selected"), undefined, {
          polling: 16,
          timeout: 150,
        })
        .then(() => true)
        .catch(() => false);
      if (selected) break;
      if (attempt > 150) throw new Error("clicking the start node never selected it");
    }
    const interactiveMs = await page.evaluate(() => performance.now());
    const { metrics } = await cdp.send("Performance.getMetrics");
    const mainThreadMs = (metrics.find((m) => m.name === "TaskDuration")?.value ?? Number.NaN) * 1000;

    // Drag the pane up by most of a screen, as a hand would, and wait for the cards that
    // come into view: the work windowing moves from opening to panning.
    const pane = (await page.locator(".react-flow__pane").boundingBox())!;
    const x = pane.x + 12;
    const panStart = await page.evaluate(() => performance.now());
    await page.mouse.move(x, pane.y + pane.height - 20);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(x, pane.y + pane.height - 20 - ((pane.height - 40) * i) / 10);
    await page.mouse.up();
    await page.waitForFunction(viewReady, check, { polling: 16, timeout: 60_000 });
    const panMs = (await page.evaluate(() => performance.now())) - panStart;

    // Auto-layout of all 500 cards: the time until the button is back, and the longest task
    // the page's main thread ran meanwhile (the layout itself runs in a worker).
    await page.evaluate(() => {
      const longest = { ms: 0 };
      (window as unknown as { __benchLongest: typeof longest }).__benchLongest = longest;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longest.ms = Math.max(longest.ms, entry.duration);
      }).observe({ type: "longtask" });
    });
    const layoutButton = page.getByRole("toolbar", { name: "Canvas tools" }).getByRole("button", { name: "Auto-layout" });
    const layoutStart = await page.evaluate(() => performance.now());
    await layoutButton.click();
    await page.waitForFunction(
      () => {
        const button = [...document.querySelectorAll<HTMLButtonElement>(".fe-toolbar button")].find((b) => b.textContent?.includes("Auto-layout"));
        return button !== undefined && !button.disabled;
      },
      undefined,
      { polling: 16, timeout: 60_000 },
    );
    const layoutMs = (await page.evaluate(() => performance.now())) - layoutStart;
    const layoutLongestTaskMs = await page.evaluate(() => (window as unknown as { __benchLongest: { ms: number } }).__benchLongest.ms);
    return { interactiveMs, mainThreadMs, cardsInView, panMs, layoutMs, layoutLongestTaskMs };
  } finally {
    await context.close();
  }
};

const figures = (page: string, samples: ReadonlyArray<Sample>) => {
  const pick = (f: (s: Sample) => number) => Math.round(median(samples.map(f)));
  return [
    { name: `builder.${page}_500_interactive_ms`, unit: "ms", value: pick((s) => s.interactiveMs) },
    { name: `builder.${page}_500_main_thread_ms`, unit: "ms", value: pick((s) => s.mainThreadMs) },
    { name: `builder.${page}_500_cards_in_first_view`, unit: "cards", value: pick((s) => s.cardsInView) },
    { name: `builder.${page}_500_pan_screen_ms`, unit: "ms", value: pick((s) => s.panMs) },
    { name: `builder.${page}_500_auto_layout_ms`, unit: "ms", value: pick((s) => s.layoutMs) },
    { name: `builder.${page}_500_auto_layout_longest_task_ms`, unit: "ms", value: pick((s) => s.layoutLongestTaskMs) },
  ];
};

/**
 * Opens the 500-step flow three times on the test-only canvas page (`canvas_…` figures) and
 * three times in the real flow editor, signed in (`flow_editor_…`), and returns the medians
 * of each figure measureOnce takes.
 */
export const run = async (): Promise<ReadonlyArray<{ name: string; unit: string; value: number }>> => {
  const dir = mkdtempSync(join(tmpdir(), "parley-canvas-bench-"));
  const server = await startServer({
    databasePath: join(dir, "parley.sqlite"),
    env: { PARLEY_DEV_ROUTES: "1", ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  });
  let browser: Browser | undefined;
  try {
    const url = `${server.base}/dev/canvas?nodes=${NODES}`;
    const probe = await fetch(url);
    if (probe.status !== 200) throw new Error(`${url} answered ${probe.status}: ${(await probe.text()).slice(0, 200)}`);
    const document = laidOut();
    const boxes = cardBoxes(document);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    // One untimed load of each page warms the server (first render of the route, the OS file cache).
    await measureOnce(browser, url, boxes);
    const canvas: Sample[] = [];
    for (let i = 0; i < RUNS; i++) canvas.push(await measureOnce(browser, url, boxes));

    const file = join(dir, "generated-500.json");
    writeFileSync(file, JSON.stringify(document));
    const editor = await importFlow(browser, server.base, file);
    await measureOnce(browser, editor.url, boxes, editor.session);
    const editorSamples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) editorSamples.push(await measureOnce(browser, editor.url, boxes, editor.session));
    return [...figures("canvas", canvas), ...figures("flow_editor", editorSamples)];
  } finally {
    await browser?.close();
    await server.stop("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(JSON.stringify(figure));
}
