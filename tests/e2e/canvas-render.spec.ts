/**
 * Dragging one node must not re-render every node: node cards count their renders (only while
 * `window.__parleyCountRenders` is true), one card is dragged across a 50-node canvas, and the
 * other 49 must not have rendered again. Runs on the test-only /dev/canvas page, which the
 * test server enables with PARLEY_DEV_ROUTES=1.
 */
import { expect, test, type Page } from "@playwright/test";

const NODES = 50;
/** Every node card's accessible name is "<Kind> node <label or id>". */
const anyNode = (page: Page) => page.getByRole("group", { name: / node / });

test.describe("canvas rendering", () => {
  test("dragging one node re-renders that node only", async ({ page }) => {
    const response = await page.goto(`/dev/canvas?nodes=${NODES}`);
    expect(response?.status(), "/dev/canvas must answer 200: start the test server with PARLEY_DEV_ROUTES=1").toBe(200);
    await expect(anyNode(page)).toHaveCount(NODES);
    const dragged = page.getByRole("group", { name: "Message node Message 1", exact: true });
    await expect(dragged).toBeVisible();
    // Let hydration, measuring and the debounced compile settle before counting.
    await expect(page.getByRole("button", { name: "Auto-layout" })).toBeEnabled();
    await page.waitForTimeout(1_000);

    await page.evaluate(() => {
      window.__parleyRenderCounts = {};
      window.__parleyCountRenders = true;
    });
    const before = (await dragged.boundingBox())!;
    // Hold the card by its header and move it in many small steps, as a hand would.
    await page.mouse.move(before.x + before.width / 2, before.y + 12);
    await page.mouse.down();
    await page.mouse.move(before.x + before.width / 2 + 2, before.y + 14);
    for (let i = 1; i <= 20; i++) await page.mouse.move(before.x + before.width / 2 + 2 + i * 8, before.y + 14 + i * 4);
    await page.mouse.up();
    const counts = await page.evaluate(() => {
      window.__parleyCountRenders = false;
      return window.__parleyRenderCounts ?? {};
    });

    const after = (await dragged.boundingBox())!;
    expect(after.x - before.x, "the card followed the pointer").toBeGreaterThan(120);
    // The counter works: the dragged card rendered on (nearly) every step.
    expect(counts["message_1"] ?? 0).toBeGreaterThanOrEqual(10);
    const rerendered = Object.entries(counts).filter(([id, n]) => id !== "message_1" && n > 1);
    expect(rerendered, "other nodes rendered more than once during the drag").toEqual([]);

    // The drop is one undo step: undo puts the card back where it was.
    await page.getByRole("button", { name: "Undo" }).click();
    await expect.poll(async () => Math.round((await dragged.boundingBox())!.x)).toBe(Math.round(before.x));
  });
});
