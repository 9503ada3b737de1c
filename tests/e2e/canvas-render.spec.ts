/**
 * The canvas editor in real Chromium, on the test-only /dev/canvas page (a generated flow;
 * the test server enables it with PARLEY_DEV_ROUTES=1).
 *
 * Rendering: node cards count their renders (only while `window.__parleyCountRenders` is
 * true); dragging one card across a 50-node canvas must not re-render the other 49.
 * Editing: the palette (click, keyboard, drag and drop), connecting by dragging, the
 * inspector, undo/redo, deleting, and copy/paste into another flow — as a person would.
 */
import { expect, test, type Locator, type Page } from "@playwright/test";
import { dragCountingRenders } from "./helpers.js";

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

    // Hold the card by its header and move it in many small steps, as a hand would.
    const { before, movedX, counts } = await dragCountingRenders(page, dragged, 4);
    expect(movedX, "the card followed the pointer").toBeGreaterThan(120);
    // The counter works: the dragged card rendered on (nearly) every step.
    expect(counts["message_1"] ?? 0).toBeGreaterThanOrEqual(10);
    const rerendered = Object.entries(counts).filter(([id, n]) => id !== "message_1" && n > 1);
    expect(rerendered, "other nodes rendered more than once during the drag").toEqual([]);

    // The drop is one undo step: undo puts the card back where it was.
    await page.getByRole("button", { name: "Undo" }).click();
    await expect.poll(async () => Math.round((await dragged.boundingBox())!.x)).toBe(Math.round(before.x));
  });
});

/** Drags with the mouse in small steps from one point to another. */
const dragBetween = async (page: Page, from: { x: number; y: number }, to: { x: number; y: number }) => {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 12, from.y + ((to.y - from.y) * i) / 12);
  await page.mouse.up();
};

/** The point of an exit's handle: the bottom centre of the exit's cell on the card. */
const exitPoint = async (card: Locator, exit: string) => {
  const box = (await card.getByTitle(`${exit} exit`).boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height };
};

const openCanvas = async (page: Page, nodes: number) => {
  const response = await page.goto(`/dev/canvas?nodes=${nodes}`);
  expect(response?.status(), "/dev/canvas must answer 200: start the test server with PARLEY_DEV_ROUTES=1").toBe(200);
  await expect(anyNode(page)).toHaveCount(nodes);
  await expect(page.getByRole("button", { name: "Auto-layout" })).toBeEnabled();
};

test.describe("canvas editing", () => {
  test("add from the palette, connect, edit, undo and redo, delete", async ({ page }) => {
    await openCanvas(page, 3);
    const message = page.getByRole("group", { name: "Message node Message 1", exact: true });

    await test.step("a palette click adds the node after the selected one", async () => {
      await expect(message).toBeVisible();
      await page.getByRole("group", { name: "End node End 3", exact: true }).click();
      await page.getByRole("button", { name: "Add Question node" }).click();
      await expect(anyNode(page)).toHaveCount(4);
      await expect(page.getByRole("region", { name: "Question node settings" })).toBeVisible();
    });

    await test.step("Enter on a palette button adds a node too", async () => {
      await page.getByRole("button", { name: "Add Ticket node" }).focus();
      await page.keyboard.press("Enter");
      await expect(page.getByRole("group", { name: "Ticket node ticket_1" })).toBeVisible();
    });

    await test.step("a kind dragged from the palette lands on the canvas", async () => {
      await page.getByRole("button", { name: "Add Webhook node" }).dragTo(page.getByRole("region", { name: "Canvas" }), { targetPosition: { x: 150, y: 60 } });
      await expect(page.getByRole("group", { name: "Webhook node webhook_1" })).toBeVisible();
    });

    await test.step("the inspector edits the node, and the card shows it", async () => {
      await page.getByRole("group", { name: "Ticket node ticket_1" }).click();
      await page.getByLabel("Subject", { exact: true }).fill("Call back {{name}}");
      await expect(page.getByRole("group", { name: "Ticket node ticket_1" })).toContainText("Call back {{name}}");
      await page.getByLabel("Name", { exact: true }).fill("Callback ticket");
      await expect(page.getByRole("group", { name: "Ticket node Callback ticket" })).toBeVisible();
    });

    await test.step("undo reverts a burst of typing in one step; redo restores it", async () => {
      await page.getByRole("button", { name: "Undo" }).click();
      await expect(page.getByRole("group", { name: "Ticket node ticket_1" })).toContainText("Call back {{name}}");
      await page.getByRole("button", { name: "Undo" }).click();
      await expect(page.getByRole("group", { name: "Ticket node ticket_1" })).not.toContainText("Call back");
      await page.keyboard.press("Control+Shift+Z");
      await expect(page.getByRole("group", { name: "Ticket node ticket_1" })).toContainText("Call back {{name}}");
      await page.getByRole("button", { name: "Redo" }).click();
      await expect(page.getByRole("group", { name: "Ticket node Callback ticket" })).toBeVisible();
    });

    await test.step("dragging from an exit onto a card connects them", async () => {
      const question = page.getByRole("group", { name: /^Question node question_\d+$/ });
      const ticket = page.getByRole("group", { name: "Ticket node Callback ticket" });
      const target = (await ticket.boundingBox())!;
      await dragBetween(page, await exitPoint(question, "invalid"), { x: target.x + target.width / 2, y: target.y + 8 });
      await expect(page.getByRole("group", { name: /^Connection from question_\d+ \(invalid\) to Callback ticket$/ })).toHaveCount(1);
    });

    await test.step("a message cannot be connected to itself", async () => {
      await page.getByRole("group", { name: /^Connection from Message 1 \(next\)/ }).focus();
      await page.keyboard.press("Enter");
      await page.keyboard.press("Delete");
      await expect(page.getByRole("group", { name: /^Connection from Message 1 \(next\)/ })).toHaveCount(0);
      const box = (await message.boundingBox())!;
      await dragBetween(page, await exitPoint(message, "next"), { x: box.x + box.width / 2, y: box.y + 10 });
      await expect(page.getByRole("group", { name: /^Connection from Message 1 \(next\)/ })).toHaveCount(0);
    });

    await test.step("Delete removes the selected node", async () => {
      await page.getByRole("group", { name: "Ticket node Callback ticket" }).click();
      await page.keyboard.press("Delete");
      await expect(page.getByRole("group", { name: "Ticket node Callback ticket" })).toHaveCount(0);
      await page.keyboard.press("Control+Z");
      await expect(page.getByRole("group", { name: "Ticket node Callback ticket" })).toBeVisible();
    });
  });

  test("copy nodes in one flow and paste them into another", async ({ page }) => {
    await openCanvas(page, 3);
    await page.getByRole("group", { name: "Message node Message 1", exact: true }).click();
    await page.getByRole("group", { name: "Question node Question 2", exact: true }).click({ modifiers: ["Control"] });
    await expect(page.getByRole("region", { name: "Selection" })).toContainText("2 steps selected");
    await page.keyboard.press("Control+C");

    await openCanvas(page, 1);
    await page.getByRole("group", { name: "End node End 1", exact: true }).click();
    await page.keyboard.press("Control+V");
    await expect(anyNode(page)).toHaveCount(3);
    // The copies keep their connection, and their ids where this flow has none of them.
    await expect(page.getByRole("group", { name: "Question node Question 2", exact: true })).toBeVisible();
    await expect(page.getByRole("group", { name: "Connection from Message 1 (next) to Question 2" })).toHaveCount(1);
  });
});
