/**
 * Macros, the way a team uses them: an admin makes a shared macro in Settings → Macros (a reply,
 * a label, Mark pending; a blank name and a comment row without text are refused on their
 * fields); an agent opens a conversation, presses `m`, filters, sees the preview line and runs
 * it from the keyboard: the reply is in the transcript, the label on the header, the status
 * Pending. A step that cannot apply (its label deleted) is named as skipped while the rest is
 * done; an agent's own macro is theirs alone; and the menu runs a macro without JavaScript too.
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support
 * inbox, where the demo agent works; labels Billing and VIP exist.
 */
import { expect, test, type APIRequestContext, type Browser, type BrowserContext, type Page } from "@playwright/test";
import {
  adminEmail,
  apiVisitorAsksForAPerson,
  demoUsers,
  getChatChannelId,
  parleyUrl,
  readServerDatabase,
  seriousViolations,
  signedInPage,
  writeServerDatabase,
} from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const macroName = `Refund policy ${stamp}`;
const replyText = `Refund policy ${stamp}: 30 days.`;
let request: APIRequestContext;
let contexts: BrowserContext[] = [];
let channelId: string;

const header = (page: Page) => page.locator(".thread__head");
const macrosMenu = (page: Page) => header(page).getByRole("group", { name: "Macros" });
const transcript = (page: Page) => page.getByRole("log", { name: "Conversation transcript" });
const addCard = (page: Page) => page.locator("section", { has: page.getByRole("heading", { name: "Add a macro" }) });

const signedIn = (browser: Browser, email: string, javaScriptEnabled = true) => signedInPage(browser, email, contexts, { javaScriptEnabled });

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
  channelId = await getChatChannelId(request);
});

test.afterAll(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
  await request?.dispose();
});

test("before there are any, `m` opens the menu at its link to Settings, and Escape closes it", async ({ browser }) => {
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM macros").n).toBe(0);
  const visit = await apiVisitorAsksForAPerson(request, channelId, `No macros yet ${stamp}`);
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.goto(`/inbox/${visit.conversationId}`);
  await transcript(agent).click();
  await agent.keyboard.press("m");
  const menu = macrosMenu(agent);
  await expect(menu).toContainText("No macros yet: add one in Settings → Macros.");
  await expect(menu.getByRole("link", { name: "Settings → Macros" })).toBeFocused();
  await agent.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(header(agent).locator("summary", { hasText: "Macros" })).toBeFocused();
});

test("an admin makes a shared macro in Settings; bad fields are refused where they are", async ({ browser }) => {
  const admin = await signedIn(browser, adminEmail());
  await admin.goto("/settings");
  await admin.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Macros" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "Macros" })).toBeVisible();
  await expect(admin.getByText(/open Macros \(or press m\) and run one\./)).toBeVisible();
  const add = addCard(admin);

  // No name, and a comment row without its text.
  await add.getByLabel("Action 1").selectOption({ label: "Add an internal comment (its text beside)" });
  await add.getByRole("button", { name: "Add macro" }).click();
  await expect(add.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(add).toContainText("Enter a name");
  await expect(add.getByLabel("Action 1")).toHaveAttribute("aria-invalid", "true");
  await expect(add).toContainText("Enter the comment's text");
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM macros WHERE name = ?", macroName).n).toBe(0);

  await add.getByLabel("Name").fill(macroName);
  await add.getByLabel("Reply (optional)").fill(replyText);
  await add.getByLabel("Everyone in the inbox (shared)").check();
  await add.getByLabel("Action 1").selectOption({ label: "Add label Billing" });
  await add.getByLabel("Action 2").selectOption({ label: "Mark pending" });
  await add.getByLabel("Action 3").selectOption({ label: "Add an internal comment (its text beside)" });
  await add.getByLabel("Comment text").nth(2).fill("Sent the refund policy");
  await add.getByRole("button", { name: "Add macro" }).click();
  await expect(admin.getByRole("status")).toHaveText("The macro is saved.");
  const entry = admin.locator("details.saved-reply", { hasText: macroName });
  await expect(entry).toContainText("shared");
  await entry.locator("summary").click();
  await expect(entry).toContainText(`Reply “${replyText}” · Add label Billing · Mark pending · Comment “Sent the refund policy”`);
  expect(await seriousViolations(admin)).toEqual([]);
});

test("an agent runs it on a conversation from the keyboard: reply, label and status", async ({ browser }) => {
  const question = `I want my money back ${stamp}`;
  const visit = await apiVisitorAsksForAPerson(request, channelId, question);
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.goto(`/inbox/${visit.conversationId}`);
  await expect(transcript(agent)).toContainText(question);

  // `m` outside a text field opens the menu at its filter.
  await transcript(agent).click();
  await agent.keyboard.press("m");
  const menu = macrosMenu(agent);
  await expect(menu.getByLabel("Filter macros")).toBeFocused();
  await agent.keyboard.type(`policy ${stamp}`);
  const item = menu.getByRole("listitem").filter({ hasText: macroName });
  await expect(item).toBeVisible();
  // The preview line says what it will do before it runs.
  await expect(item).toContainText(`Reply “${replyText}” · Add label Billing · Mark pending · Comment “Sent the refund policy”`);
  await agent.keyboard.press("Enter");
  await expect(menu.getByRole("button", { name: `Run ${macroName}` })).toBeFocused();
  await agent.keyboard.press("Enter");

  await expect(header(agent).getByRole("status").filter({ hasText: "Ran" })).toHaveText(`Ran “${macroName}”: 4 steps done.`);
  await expect(transcript(agent)).toContainText(replyText);
  await expect(transcript(agent)).toContainText("Sent the refund policy");
  await expect(header(agent).getByRole("list", { name: "Labels" })).toContainText("Billing");
  await expect(header(agent).locator(".tag--pending")).toHaveText("Pending");
  const stored = readServerDatabase<{ status: string; assignee_id: string | null }>("SELECT status, assignee_id FROM conversations WHERE id = ?", visit.conversationId);
  expect(stored.status).toBe("pending");
  // The reply went the composer's way: an agent's message to the visitor, not internal.
  expect(
    readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND author = 'agent' AND is_internal = 0 AND text = ?", visit.conversationId, replyText).n,
  ).toBe(1);
});

test("a step that cannot apply is named as skipped, and the rest is done", async ({ browser }) => {
  const labelId = `label_gone_${stamp}`;
  writeServerDatabase("INSERT INTO labels (id, name, color, created_at) VALUES (?, ?, 'gray', 0)", labelId, `Gone ${stamp}`);
  const admin = await signedIn(browser, adminEmail());
  await admin.goto("/settings/macros");
  const add = addCard(admin);
  const name = `Tag and close ${stamp}`;
  await add.getByLabel("Name").fill(name);
  await add.getByLabel("Reply (optional)").fill("Closing this now, write any time.");
  await add.getByLabel("Action 1").selectOption({ label: `Add label Gone ${stamp}` });
  await add.getByLabel("Action 2").selectOption({ label: "Close the conversation" });
  await add.getByRole("button", { name: "Add macro" }).click();
  await expect(admin.getByRole("status")).toHaveText("The macro is saved.");
  writeServerDatabase("DELETE FROM labels WHERE id = ?", labelId);

  const visit = await apiVisitorAsksForAPerson(request, channelId, `Another question ${stamp}`);
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.goto(`/inbox/${visit.conversationId}`);
  await header(agent).locator("summary", { hasText: "Macros" }).click();
  await macrosMenu(agent).getByRole("button", { name: `Run ${name}` }).click();
  const outcome = header(agent).locator(".macro-outcome");
  await expect(outcome).toContainText(`Ran “${name}”: 2 done, 1 skipped.`);
  await expect(outcome).toContainText("Skipped: Add label (a deleted label) — the label was deleted.");
  await expect(header(agent).locator(".tag--closed")).toHaveText("Closed");
  await expect(transcript(agent)).toContainText("Closing this now, write any time.");
});

test("an agent's own macro is theirs alone, and runs without JavaScript", async ({ browser }) => {
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.goto("/settings/macros");
  const add = addCard(agent);
  // An agent cannot share: the form says so and has no choice.
  await expect(add).toContainText("Only you see and run your macros.");
  await expect(add.getByLabel("Everyone in the inbox (shared)")).toHaveCount(0);
  const name = `My VIP ${stamp}`;
  await add.getByLabel("Name").fill(name);
  await add.getByLabel("Action 1").selectOption({ label: "Add label VIP" });
  await add.getByRole("button", { name: "Add macro" }).click();
  await expect(agent.getByRole("status")).toHaveText("The macro is saved.");
  await expect(agent.locator("details.saved-reply", { hasText: name })).toContainText("personal");
  // The shared one is there to run, not to change.
  const shared = agent.locator("details.saved-reply", { hasText: macroName });
  await shared.locator("summary").click();
  await expect(shared).toContainText("Shared by an admin: only admins change it.");

  const admin = await signedIn(browser, adminEmail());
  await admin.goto("/settings/macros");
  await expect(admin.locator("details.saved-reply", { hasText: name })).toHaveCount(0);

  // Without JavaScript: the disclosure opens, Run posts the form, the page tells the outcome.
  const visit = await apiVisitorAsksForAPerson(request, channelId, `No script here ${stamp}`);
  const plain = await signedIn(browser, demoUsers.agent, false);
  await plain.goto(`/inbox/${visit.conversationId}`);
  await header(plain).locator("summary", { hasText: "Macros" }).click();
  await macrosMenu(plain).getByRole("button", { name: `Run ${name}` }).click();
  await expect(header(plain).locator(".macro-outcome")).toContainText(`Ran “${name}”: 1 step done.`);
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM conversation_labels WHERE conversation_id = ? AND label_id = 'label_vip'", visit.conversationId).n).toBe(1);
});

test("on a phone, the open Macros menu and Settings → Macros fit the screen", async ({ browser }) => {
  const visit = await apiVisitorAsksForAPerson(request, channelId, `On the phone ${stamp}`);
  const agent = await signedIn(browser, demoUsers.agent);
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.goto(`/inbox/${visit.conversationId}`);
  await header(agent).locator("summary", { hasText: "Macros" }).click();
  await expect(macrosMenu(agent).getByRole("button", { name: `Run ${macroName}` })).toBeVisible();
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await agent.goto("/settings/macros");
  await agent.locator("details.saved-reply", { hasText: `My VIP ${stamp}` }).locator("summary").click();
  await expect(agent.getByLabel("Action 1").first()).toBeVisible();
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
});

test("saving a macro that another tab deleted says so in words, and keeps nothing", async ({ browser }) => {
  const name = `Two tabs ${stamp}`;
  const first = await signedIn(browser, adminEmail());
  await first.goto("/settings/macros");
  await addCard(first).getByLabel("Name").fill(name);
  await addCard(first).getByLabel("Action 1").selectOption({ label: "Add label VIP" });
  await addCard(first).getByRole("button", { name: "Add macro" }).click();
  await expect(first.getByRole("status")).toHaveText("The macro is saved.");
  const second = await signedIn(browser, adminEmail());
  await second.goto("/settings/macros");

  const macro = (page: Page) => page.locator("details.saved-reply", { hasText: name });
  await macro(first).locator("summary").click();
  await macro(second).locator("summary").click();
  await macro(second).getByRole("button", { name: "Delete" }).click();
  await expect(second.getByRole("status")).toHaveText("The macro is deleted.");

  await macro(first).getByLabel("Name").fill(`${name} renamed`);
  await macro(first).getByRole("button", { name: "Save" }).click();
  await expect(macro(first).getByRole("alert")).toHaveText(
    "This macro no longer exists: it was deleted meanwhile. Reload the page to see the macros as they are.",
  );
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM macros WHERE name LIKE ?", `${name}%`).n).toBe(0);
});
