/**
 * A 500-step flow on the canvas, in real Chromium, on the test-only /dev/canvas page (the test
 * server enables it with PARLEY_DEV_ROUTES=1). From 150 steps on the canvas is windowed: only
 * the cards in view are in the page, and panning brings the others. Dragging one card still
 * re-renders that card only, and auto-layout (run in a worker) is one undo step.
 */
import { expect, test, type Page } from "@playwright/test";
import { dragCountingRenders } from "./helpers.js";

const NODES = 500;
const anyNode = (page: Page) => page.getByRole("group", { name: / node / });
const startCard = (page: Page) => page.getByRole("group", { name: "Message node Message 1", exact: true });

const openBigFlow = async (page: Page) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const response = await page.goto(`/dev/canvas?nodes=${NODES}`);
  expect(response?.status(), "/dev/canvas must answer 200: start the test server with PARLEY_DEV_ROUTES=1").toBe(200);
  await expect(startCard(page)).toBeVisible();
  await expect(page.getByRole("button", { name: "Auto-layout" })).toBeEnabled();
  await expect(page.getByRole("toolbar", { name: "Canvas tools" })).toContainText(`${NODES} steps`);
};

const cardIds = (page: Page) => page.locator('[aria-roledescription="node"]').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.id ?? ""));

/** Drags the empty left strip of the pane up by most of its height, as a hand pans. */
const panDown = async (page: Page) => {
  const pane = (await page.locator(".react-flow__pane").boundingBox())!;
  const x = pane.x + 12;
  await page.mouse.move(x, pane.y + pane.height - 20);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x, pane.y + pane.height - 20 - ((pane.height - 40) * i) / 10);
  await page.mouse.up();
};

test("a 500-step flow opens on its start, readable, with only the cards in view in the page; panning brings the next", async ({ page }) => {
  await openBigFlow(page);
  const zoom = await page.locator(".react-flow__viewport").evaluate((el) => Number(/scale\(([\d.]+)\)/.exec((el as HTMLElement).style.transform)?.[1]));
  expect(zoom, "the first view is readable").toBeGreaterThanOrEqual(0.5);
  const first = await cardIds(page);
  expect(first.length, "cards in the first view").toBeGreaterThan(2);
  expect(first.length, "off-screen cards are not rendered").toBeLessThan(NODES / 5);

  await panDown(page);
  // The start card left the view and the page; cards that were not there before are shown.
  await expect(startCard(page)).toHaveCount(0);
  await expect.poll(async () => (await cardIds(page)).filter((id) => !first.includes(id)).length).toBeGreaterThan(0);
  const fresh = (await cardIds(page)).find((id) => !first.includes(id))!;
  await expect(page.locator(`[aria-roledescription="node"][data-id="${fresh}"]`)).toBeVisible();
  await expect(anyNode(page)).not.toHaveCount(NODES);
});

test("dragging one card of 500 re-renders that card only", async ({ page }) => {
  await openBigFlow(page);
  // Let measuring, the idle minimap and the diagnostics check settle before counting.
  await page.waitForTimeout(1_500);
  const { movedX, counts } = await dragCountingRenders(page, startCard(page), 2);
  expect(movedX, "the card followed the pointer").toBeGreaterThan(120);
  expect(counts["message_1"] ?? 0, "the counter counts the dragged card").toBeGreaterThanOrEqual(10);
  const rerendered = Object.entries(counts).filter(([id, n]) => id !== "message_1" && n > 1);
  expect(rerendered, "other cards rendered more than once during the drag").toEqual([]);
});

test("auto-layout of 500 steps puts a dragged card back, and one undo takes it back out", async ({ page }) => {
  await openBigFlow(page);
  const card = startCard(page);
  const home = (await card.boundingBox())!;
  await page.mouse.move(home.x + home.width / 2, home.y + 12);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(home.x + home.width / 2 + i * 20, home.y + 12 + i * 3);
  await page.mouse.up();
  const moved = (await card.boundingBox())!;
  expect(moved.x - home.x).toBeGreaterThan(150);

  const tools = page.getByRole("toolbar", { name: "Canvas tools" });
  await tools.getByRole("button", { name: "Auto-layout" }).click();
  await expect(tools.getByRole("button", { name: "Auto-layout" })).toBeEnabled({ timeout: 20_000 });
  // The view then moves to the laid-out start for 250 ms: the card sits where the first view showed it.
  await page.waitForTimeout(400);
  await expect.poll(async () => Math.abs((await card.boundingBox())!.x - home.x), { timeout: 5_000 }).toBeLessThan(40);

  await tools.getByRole("button", { name: "Undo" }).click();
  await expect.poll(async () => (await card.boundingBox())!.x - home.x).toBeGreaterThan(150);
});
