/**
 * Conversation labels, the way a team uses them: an admin makes a label in Settings → Labels
 * (a taken name is refused on its field); an agent opens a conversation and puts the label on
 * it from the thread header's Labels menu with the keyboard (type to filter, Enter, Space); the
 * chip shows in the header and on the list's row; the list's Label filter keeps only the
 * conversations carrying it; unticking takes it off again. Every change is an event.
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support inbox.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import {
  adminEmail,
  adminPassword,
  apiVisitorAsksForAPerson,
  demoUsers,
  getChatChannelId,
  login,
  parleyUrl,
  readServerDatabase,
  seriousViolations,
  writeServerDatabase,
} from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const labelName = `Refund ${stamp}`;
const question = `I was charged twice ${stamp}`;
let request: APIRequestContext;
let contexts: BrowserContext[] = [];
let visit: { conversationId: string; token: string };

const conversationList = (page: Page) => page.getByRole("list", { name: /conversations$/ });
const row = (page: Page) => conversationList(page).getByRole("listitem").filter({ hasText: question });
const header = (page: Page) => page.locator(".thread__head");
const labelsToggle = (page: Page) => header(page).locator("summary", { hasText: /^Labels/ });
const labelEvents = (type: string) =>
  readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = ? AND conversation_id = ?", type, visit.conversationId).n;

const signedIn = async (browser: import("@playwright/test").Browser, email: string): Promise<Page> => {
  const context = await browser.newContext({ baseURL: parleyUrl() });
  contexts.push(context);
  const page = await context.newPage();
  await login(page, email, adminPassword());
  return page;
};

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
  visit = await apiVisitorAsksForAPerson(request, await getChatChannelId(request), question);
});

test.afterAll(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
  await request?.dispose();
});

test("an admin makes a label in Settings; a name already taken is refused on its field", async ({ browser }) => {
  const admin = await signedIn(browser, adminEmail());
  await admin.goto("/settings");
  await admin.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Labels" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "Labels" })).toBeVisible();

  const add = admin.locator("section", { has: admin.getByRole("heading", { name: "Add a label" }) });
  await add.getByLabel("Name").fill(labelName);
  await add.getByLabel("Colour").selectOption({ label: "Green" });
  await add.getByLabel("Description (optional)").fill("Asked for money back");
  await add.getByRole("button", { name: "Add label" }).click();
  await expect(admin.getByRole("status")).toHaveText("The label is added.");
  const entry = admin.locator("details.saved-reply", { hasText: labelName });
  await expect(entry).toContainText("0 open");
  await entry.locator("summary").first().click();
  expect(await seriousViolations(admin)).toEqual([]);

  // The same name in another case is taken.
  await add.getByLabel("Name").fill(labelName.toUpperCase());
  await add.getByRole("button", { name: "Add label" }).click();
  await expect(add.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(add).toContainText(`A label named “${labelName.toUpperCase()}” already exists.`);
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM labels WHERE name = ?", labelName).n).toBe(1);
});

test("an agent labels a conversation from the keyboard, filters the list by it, and takes it off again", async ({ browser }) => {
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.goto("/inbox?view=all_open");
  await conversationList(agent).getByRole("link").filter({ hasText: question }).click();
  await expect(agent.getByRole("log", { name: "Conversation transcript" })).toContainText(question);

  // The menu is a disclosure: Enter opens it; typing filters; Enter goes to the first match; Space ticks it.
  await labelsToggle(agent).focus();
  await agent.keyboard.press("Enter");
  const menu = agent.getByRole("form", { name: "Labels of this conversation" });
  await menu.getByLabel("Filter labels").fill(labelName.slice(0, 10));
  await expect(menu.getByRole("checkbox", { name: labelName })).toBeVisible();
  await menu.getByLabel("Filter labels").fill("no such label anywhere");
  await expect(menu).toContainText("No label matches");
  await menu.getByLabel("Filter labels").fill(labelName);
  await agent.keyboard.press("Enter");
  await expect(menu.getByRole("checkbox", { name: labelName })).toBeFocused();
  await agent.keyboard.press("Space");

  await expect(header(agent).getByRole("list", { name: "Labels" })).toContainText(labelName);
  await expect(row(agent).getByRole("list", { name: "Labels" })).toContainText(labelName);
  await expect(menu.getByRole("checkbox", { name: labelName })).toBeChecked();
  await expect(labelsToggle(agent)).toHaveText("Labels (1)");
  expect(labelEvents("label_added")).toBe(1);
  const axe = await new AxeBuilder({ page: agent }).include(".thread__head").analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  // Escape closes the menu and gives the focus back to its toggle.
  await agent.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(labelsToggle(agent)).toBeFocused();

  // The list's Label filter keeps the conversations that carry it, and links keep the filter.
  await agent.getByText("Filters", { exact: true }).click();
  await agent.getByLabel("Label", { exact: true }).selectOption({ label: labelName });
  await expect(agent).toHaveURL(/[?&]label=label_/);
  await expect(conversationList(agent).getByRole("link")).toHaveCount(1);
  await expect(row(agent)).toBeVisible();

  // Unticking takes it off: the chip goes, and the filtered list is empty.
  await labelsToggle(agent).click();
  await menu.getByRole("checkbox", { name: labelName }).uncheck();
  await expect(header(agent).getByRole("list", { name: "Labels" })).toHaveCount(0);
  await expect(agent.locator(".inbox-list__empty")).toBeVisible();
  expect(labelEvents("label_removed")).toBe(1);

  // A label an admin deletes while the menu is open: ticking it changes nothing, and the menu says why.
  const doomed = `Doomed ${stamp}`;
  writeServerDatabase("INSERT INTO labels (id, name, color, created_at) VALUES (?, ?, 'gray', 0)", `label_doomed_${stamp}`, doomed);
  await agent.reload();
  await labelsToggle(agent).click();
  await expect(menu.getByRole("checkbox", { name: doomed })).toBeVisible();
  writeServerDatabase("DELETE FROM labels WHERE id = ?", `label_doomed_${stamp}`);
  // A click, not check(): the refusal unticks and removes the box, which check() would take for a
  // click that did not land and try again until the test's time ran out.
  await menu.getByRole("checkbox", { name: doomed }).click();
  await expect(menu.getByRole("alert")).toHaveText(`“${doomed}” was deleted meanwhile: nothing was changed.`);
  await expect(menu.getByRole("checkbox", { name: doomed })).toHaveCount(0);
  expect(labelEvents("label_added")).toBe(1);
});

test("Settings counts the open conversations that carry a label", async ({ browser }) => {
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.goto(`/inbox/${visit.conversationId}`);
  await labelsToggle(agent).click();
  await agent.getByRole("form", { name: "Labels of this conversation" }).getByRole("checkbox", { name: labelName }).check();
  await expect(header(agent).getByRole("list", { name: "Labels" })).toContainText(labelName);

  const admin = await signedIn(browser, adminEmail());
  await admin.goto("/settings/labels");
  const entry = admin.locator("details.saved-reply", { hasText: labelName });
  await expect(entry).toContainText("1 open");
  // Deleting asks first, then takes it off the conversation; the conversation stays.
  await entry.locator("summary").first().click();
  await entry.getByText(`Delete ${labelName}…`).click();
  await expect(entry).toContainText("It comes off 1 conversation (1 open).");
  await entry.getByRole("button", { name: `Yes, delete “${labelName}”` }).click();
  await expect(admin.getByRole("status")).toHaveText("The label is deleted.");
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM conversation_labels WHERE conversation_id = ?", visit.conversationId).n).toBe(0);
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM conversations WHERE id = ?", visit.conversationId).n).toBe(1);
});

test("on a phone, the open Labels menu and a labelled row fit the screen", async ({ browser }) => {
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.setViewportSize({ width: 390, height: 844 });
  // The demo's VIP label (seeded).
  await agent.goto(`/inbox/${visit.conversationId}`);
  await labelsToggle(agent).click();
  const menu = agent.getByRole("form", { name: "Labels of this conversation" });
  await menu.getByRole("checkbox", { name: "VIP" }).check();
  await expect(header(agent).getByRole("list", { name: "Labels" })).toContainText("VIP");
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await agent.goto("/inbox?view=all_open");
  await expect(row(agent).getByRole("list", { name: "Labels" })).toContainText("VIP");
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

  // Many labels stay on one line that scrolls sideways: wrapped, they squeezed the transcript to a sliver.
  const admin = await signedIn(browser, adminEmail());
  await admin.goto("/settings/labels");
  const add = admin.locator("section", { has: admin.getByRole("heading", { name: "Add a label" }) });
  const many = Array.from({ length: 8 }, (_, i) => `Phone ${i} ${stamp} follow-up`);
  for (const name of many) {
    await add.getByLabel("Name").fill(name);
    await add.getByRole("button", { name: "Add label" }).click();
    await expect(admin.locator("details.saved-reply", { hasText: name })).toBeVisible();
  }
  await agent.goto(`/inbox/${visit.conversationId}`);
  await labelsToggle(agent).click();
  for (const name of many) {
    await menu.getByRole("checkbox", { name }).check();
    await expect(header(agent).getByRole("list", { name: "Labels" })).toContainText(name);
  }
  await agent.keyboard.press("Escape");
  const chips = header(agent).getByRole("list", { name: "Labels" });
  const chipHeight = (await chips.getByRole("listitem").first().boundingBox())!.height;
  expect((await chips.boundingBox())!.height).toBeLessThan(chipHeight * 2);
  expect((await agent.getByRole("log", { name: "Conversation transcript" }).boundingBox())!.height).toBeGreaterThan(150);
  // The last chip is out of sight until the row is scrolled; from the keyboard the row takes the focus and arrows scroll it.
  await expect(chips.getByText(many[many.length - 1]!)).not.toBeInViewport();
  await chips.focus();
  await agent.keyboard.press("ArrowRight");
  await expect.poll(() => chips.evaluate((element) => element.scrollLeft)).toBeGreaterThan(0);
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

  // The list's row shows three of its nine labels and "+6", which names the rest.
  await agent.goto("/inbox?view=all_open");
  const rowChips = row(agent).getByRole("list", { name: "Labels" });
  await expect(rowChips.getByRole("listitem")).toHaveCount(4);
  await expect(rowChips.getByRole("listitem").last()).toHaveText(/^\+6 more: (.+, ){5}.+$/);
  await expect(rowChips.getByRole("listitem").last()).toContainText(many[many.length - 1]!);
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
});
