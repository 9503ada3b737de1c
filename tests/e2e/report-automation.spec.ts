/**
 * Reports → Automation, the way an admin uses it: a rule of this run's own ("when the visitor
 * writes <stamp>, comment and close") is added in Settings → Automation; a visitor through the
 * public chat API writes the word, the rule comments and closes the chat, and the visitor comes
 * back in a new chat. The report (reached from Reports) has the rule's row: one conversation, one comment,
 * one close, and the visitor wrote again to 1 of 1 it closed; its name opens the list of its
 * conversations, linked to the inbox, and the list's CSV download names the conversation. On a
 * phone the page fits the screen's width (wide tables scroll in their card), and axe finds
 * nothing serious.
 *
 * Other specs add rules and conversations to the same database: rows are found by this run's
 * stamped rule name, never by position or count.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { adminEmail, apiVisitorAsksForAPerson, getChatChannelId, parleyUrl, readServerDatabase, seriousViolations, signIn } from "./helpers.js";

const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const ruleName = `Report close ${stamp}`;
const word = `quokka${stamp.replace(/[^a-z0-9]/gi, "")}`;

let request: APIRequestContext;
test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
});
test.afterAll(async () => {
  await request?.dispose();
});

test("an admin sees what a rule did, per rule and per conversation", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/settings/automation");
  const form = page.locator("section", { has: page.getByRole("heading", { name: "Add a rule" }) });
  await form.getByLabel("Name").fill(ruleName);
  await form.getByLabel("When").selectOption({ label: "The visitor (or email sender) writes" });
  await form.getByLabel("Condition 1").selectOption({ label: "The visitor's message contains any of" });
  await form.getByLabel("Words").first().fill(word);
  await form.getByLabel("Action 1").selectOption({ label: "Add an internal comment (its text beside)" });
  await form.getByLabel("Comment text").first().fill(`Closing ${stamp}`);
  await form.getByLabel("Action 2").selectOption({ label: "Close the conversation" });
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");

  // The visitor writes the word; the rule closes the chat; the visitor writes again.
  const visit = await apiVisitorAsksForAPerson(request, await getChatChannelId(request), `Thanks, ${word}, bye`);
  await expect
    .poll(() => readServerDatabase<{ status: string }>("SELECT status FROM conversations WHERE id = ?", visit.conversationId).status, { timeout: 15_000 })
    .toBe("closed");
  // A closed chat takes no more messages: the visitor comes back in a new one.
  const closedChat = await request.post(`${parleyUrl()}/api/conversations/${visit.conversationId}/messages`, {
    headers: { Authorization: `Bearer ${visit.token}` },
    data: { clientMessageId: `again-${stamp}`, text: "One more question, sorry" },
  });
  expect(closedChat.status()).toBe(409);
  await apiVisitorAsksForAPerson(request, await getChatChannelId(request), "One more question, sorry", visit.token);

  await page.goto("/reports");
  await page.getByRole("link", { name: "Automation", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Automation" })).toBeVisible();
  const table = page.getByRole("table", { name: "What each rule did" });
  const headers = await table.locator("thead th").allTextContents();
  const row = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: ruleName }) });
  await expect(row).toHaveCount(1);
  const cell = async (column: string) => (await row.locator("th, td").nth(headers.indexOf(column)).textContent())?.trim();
  expect(await cell("State")).toBe("Enabled");
  expect(await cell("Conversations")).toBe("1");
  expect(await cell("Commented")).toBe("1");
  expect(await cell("Closed")).toBe("1");
  expect(await cell("Failed runs")).toBe("0");
  expect(await cell("Conversations closed")).toBe("1");
  expect(await cell("Visitor wrote again")).toBe("1");
  expect(await cell("Wrote again rate")).toBe("100.0%");
  // The page says what the figures mean.
  await expect(page.getByRole("definition").filter({ hasText: "after the rule first closed it and before the range ends" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // The drill-down: the rule's conversations, each linked to the inbox.
  await row.getByRole("link", { name: `Conversations rule ${ruleName} acted on` }).first().click();
  const drill = page.getByRole("region", { name: `Conversations “${ruleName}” acted on` });
  await expect(drill).toBeVisible();
  const conversations = drill.getByRole("table");
  await expect(conversations.getByRole("row")).toHaveCount(2);
  const link = conversations.getByRole("link", { name: new RegExp(`^Open conversation ${visit.conversationId} `) });
  await expect(link).toHaveAttribute("href", `/inbox/${visit.conversationId}`);
  await expect(conversations).toContainText("Closed 1, Commented 1");
  const csv = await request.get(`${parleyUrl()}${await drill.getByRole("link", { name: /^Download CSV/ }).getAttribute("href")}`, {
    headers: { Cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ") },
  });
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(visit.conversationId);

  // On a phone: no sideways scrolling of the page, and still nothing serious for axe.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(drill).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  expect(await seriousViolations(page)).toEqual([]);
});
