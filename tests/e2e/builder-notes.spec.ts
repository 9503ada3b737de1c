/**
 * Canvas notes and "Find a step" in the real flow editor, with a 200-step flow imported from a
 * file (so the canvas is windowed: the step to find is not in the page until the canvas moves
 * to it). A note is added, written in place and in the inspector, resized (one undo step), kept across a reload; a flow
 * file with a bad note is refused with the note's path; Ctrl+F finds a far-away step by a word
 * of its message and selects it; the list under the box goes to a match chosen with ↓ and
 * Enter, or clicked, and Escape closes it.
 */
import { expect, test, type Page } from "@playwright/test";
import { writeFile } from "node:fs/promises";
import { generateDocument } from "../../app/components/flow-editor/generate.js";
import { demoUsers, seriousViolations, signIn } from "./helpers.js";

const canvasOf = (page: Page) => page.getByRole("tabpanel", { name: "Canvas" });
const tools = (page: Page) => page.getByRole("toolbar", { name: "Canvas tools" });
const saved = (page: Page) => expect(page.getByRole("status").filter({ hasText: /^Saved · revision \d+$/ })).toBeVisible({ timeout: 10_000 });

test("a note is written on the canvas and kept; Find a step selects a far-away step by a word of its message, also from its list", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  // A retry starts again with a flow of its own.
  const stamp = `${Date.now().toString(36)}${testInfo.retry}`;
  const word = `zebrabudget${stamp}`;
  await page.setViewportSize({ width: 1500, height: 950 });
  await signIn(page, demoUsers.marketer);
  await page.goto("/");

  // ---- a 200-step flow whose step 181 asks about the budget, from a file ----
  const generated = generateDocument(200);
  const far = generated.nodes.find((n, i) => i >= 170 && n.kind === "message")!;
  const document = {
    ...generated,
    name: `Notes ${stamp}`,
    nodes: generated.nodes.map((n) => (n === far ? { ...n, label: `Budget ${stamp}`, data: { bubbles: [{ type: "text", text: `What is your ${word}?` }] } } : n)),
  };
  await page.goto("/flows");

  // A bad note in a file: refused before upload, with the note's path.
  const broken = testInfo.outputPath("bad-note.json");
  await writeFile(broken, JSON.stringify({ ...document, notes: [{ id: "note_1", text: 7, position: { x: 0, y: 0 }, size: { width: 200, height: 100 } }] }));
  await page.getByLabel("Flow file (.json)").setInputFiles(broken);
  await expect(page.getByRole("alert").filter({ hasText: "This file cannot be imported" })).toContainText("notes[0].text:");
  await expect(page.getByRole("button", { name: "Import flow" })).toBeDisabled();

  const file = testInfo.outputPath("flow.json");
  await writeFile(file, JSON.stringify(document));
  await page.getByLabel("Flow file (.json)").setInputFiles(file);
  await expect(page.getByText("The file is a valid flow.")).toBeVisible();
  await page.getByRole("button", { name: "Import flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_/);
  await expect(page.getByRole("heading", { level: 1, name: `Notes ${stamp}` })).toBeVisible();
  await expect(tools(page)).toContainText("200 steps");

  // ---- a note: added from the toolbar, written in the inspector, then in place ----
  await tools(page).getByRole("button", { name: "Note", exact: true }).click();
  const settings = page.getByRole("region", { name: "Note settings" });
  await settings.getByLabel("Note text").fill(`Ask the budget before the email ${stamp}`);
  const note = canvasOf(page).getByRole("group", { name: `Note: Ask the budget before the email ${stamp}` });
  await expect(note).toBeVisible();
  await expect(note).toContainText(`Ask the budget before the email ${stamp}`);
  await settings.getByRole("radio", { name: "Blue" }).check();
  await expect(note.locator(".fe-note-card--blue")).toBeVisible();

  await note.dblclick();
  const inPlace = page.getByRole("region", { name: "Canvas", exact: true }).getByRole("textbox", { name: "Note text" });
  await expect(inPlace).toBeFocused();
  await inPlace.pressSequentially(" <b>not bold</b>");
  await inPlace.press("Escape");
  const written = `Ask the budget before the email ${stamp} <b>not bold</b>`;
  const kept = canvasOf(page).getByRole("group", { name: `Note: ${written}` });
  // Plain text: the angle brackets are shown, nothing is made bold.
  await expect(kept).toContainText(written);
  await expect(kept.locator("b")).toHaveCount(0);
  // Edges cannot reach a note: it has no handles.
  await expect(kept.locator(".react-flow__handle")).toHaveCount(0);

  // Resized from its bottom-right corner (the selected note shows the handles); one undo
  // takes the whole resize back.
  const before = (await kept.boundingBox())!;
  const corner = (await kept.locator(".react-flow__resize-control.bottom.right").boundingBox())!;
  await page.mouse.move(corner.x + corner.width / 2, corner.y + corner.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(corner.x + corner.width / 2 + i * 12, corner.y + corner.height / 2 + i * 6);
  await page.mouse.up();
  await expect.poll(async () => Math.round((await kept.boundingBox())!.width - before.width)).toBeGreaterThan(60);
  await page.keyboard.press("Control+z");
  await expect.poll(async () => Math.round((await kept.boundingBox())!.width - before.width)).toBe(0);
  await page.keyboard.press("Control+Shift+z");
  await expect.poll(async () => Math.round((await kept.boundingBox())!.width - before.width)).toBeGreaterThan(60);
  const resizedWidth = (await kept.boundingBox())!.width;
  await saved(page);

  await page.reload();
  await expect(tools(page)).toContainText("200 steps");
  await expect(kept).toBeVisible();
  await expect(kept).toContainText(written);
  await expect(kept.locator(".fe-note-card--blue")).toBeVisible();
  expect(Math.round((await kept.boundingBox())!.width)).toBe(Math.round(resizedWidth));

  // ---- Find a step: Ctrl+F from the canvas, a word of a message far down the flow ----
  const farCard = canvasOf(page).getByRole("group", { name: `Message node Budget ${stamp}`, exact: true });
  // Windowed: the step is not in the page until the canvas moves to it.
  await expect(farCard).toHaveCount(0);
  await canvasOf(page).locator(".react-flow__pane").click({ position: { x: 20, y: 20 } });
  await page.keyboard.press("Control+f");
  const find = tools(page).getByRole("combobox", { name: "Find a step" });
  await expect(find).toBeFocused();
  await find.fill(word);
  await expect(tools(page).getByText("1 of 1", { exact: true })).toBeVisible();
  await expect(farCard).toBeVisible();
  await expect(farCard).toHaveClass(/selected/);
  await expect(page.getByRole("region", { name: "Message node settings" })).toBeVisible();

  // Two matches (the step and the note): Enter goes on to the next, Shift+Enter back.
  await find.fill("budget");
  await expect(tools(page).getByText("1 of 2", { exact: true })).toBeVisible();
  await expect(farCard).toHaveClass(/selected/);
  await find.press("Enter");
  await expect(tools(page).getByText("2 of 2", { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Note settings" })).toBeVisible();
  await expect(kept).toBeInViewport();
  // The note, the find box and the note's inspector pass axe's serious checks.
  expect(await seriousViolations(page)).toEqual([]);
  await find.press("Shift+Enter");
  await expect(tools(page).getByText("1 of 2", { exact: true })).toBeVisible();
  await expect(farCard).toHaveClass(/selected/);

  // ---- the list of matches: each row's name, kind and where it matched, the word marked ----
  const list = tools(page).getByRole("listbox", { name: "Matching steps" });
  const stepRow = list.getByRole("option", { name: new RegExp(`^Budget ${stamp} Message `) });
  const noteRow = list.getByRole("option", { name: /^Ask the budget.* Note / });
  await expect(list.getByRole("option")).toHaveCount(2);
  await expect(stepRow).toContainText(`What is your zebrabudget${stamp}?`);
  await expect(stepRow.locator("mark")).toHaveText(["budget"]);
  // The note's own angle brackets are text in the list too.
  await expect(noteRow.locator("b")).toHaveCount(0);
  await expect(stepRow).toHaveAttribute("aria-current", "true");
  await page.screenshot({ path: testInfo.outputPath("find-list.png"), clip: { x: 0, y: 0, width: 1500, height: 520 } });
  // ↓ reaches the note's row without moving the canvas; Enter goes there.
  await find.press("ArrowDown");
  await expect(noteRow).toHaveAttribute("aria-selected", "true");
  await expect(find).toHaveAttribute("aria-activedescendant", (await noteRow.getAttribute("id"))!);
  await expect(tools(page).getByText("1 of 2", { exact: true })).toBeVisible();
  await expect(farCard).toHaveClass(/selected/);
  await find.press("Enter");
  await expect(tools(page).getByText("2 of 2", { exact: true })).toBeVisible();
  await expect(noteRow).toHaveAttribute("aria-current", "true");
  await expect(page.getByRole("region", { name: "Note settings" })).toBeVisible();
  // A click on the step's row goes back to it, and the box keeps the focus.
  await stepRow.click();
  await expect(tools(page).getByText("1 of 2", { exact: true })).toBeVisible();
  await expect(farCard).toHaveClass(/selected/);
  await expect(farCard).toBeInViewport();
  await expect(find).toBeFocused();
  // Escape closes the list and keeps the query; a second one empties the box.
  await find.press("Escape");
  await expect(list).toHaveCount(0);
  await expect(find).toHaveAttribute("aria-expanded", "false");
  await expect(find).toHaveValue("budget");
  await find.press("Escape");
  await expect(find).toHaveValue("");

  // Many matches: the list holds 50 rows and counts the rest.
  await find.fill("name");
  const total = Number((await tools(page).getByText(/^1 of \d+$/).textContent())!.split(" of ")[1]);
  expect(total).toBeGreaterThan(50);
  await expect(list.getByRole("option")).toHaveCount(50);
  await expect(tools(page).getByText(`and ${total - 50} more: add a word to narrow the list`)).toBeVisible();

  await find.fill(`nothing-called-this-${stamp}`);
  await expect(tools(page).getByText("No match", { exact: true })).toBeVisible();
});
