/**
 * Following missed answers up from the breaches list, as a support lead does: a new inbox (its own
 * stamp name) with a five-minute first-response target; two visitors' conversations moved into it,
 * the report's roll-up told they were handed over ten minutes ago (the spec writes that into the
 * server's database: it cannot wait ten minutes), the demo agent answering both and closing the
 * second. On the list, filtered to the inbox, the admin ticks "Select all on this page", assigns
 * to a team of the spec's own, adds a label of its own and leaves a comment with an @mention: the
 * notice says one conversation was followed up and the closed one skipped, the filters stay, and
 * the open conversation shows the comment with its own figure, the label and the team. Without
 * JavaScript the same form posts: nothing ticked is refused at the selection, with the filters
 * kept. With one answer a page, "All 2 answers in this list" follows up the answer on the next
 * page too (the server reads the list). An analyst reads the list without the checkboxes or the form.
 *
 * The shared database holds other specs' conversations: every look is narrowed to this spec's inbox.
 */
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import {
  adminEmail,
  apiVisitorAsksForAPerson,
  backdateForReports,
  createInboxWithMembers,
  createTeam,
  demoUsers,
  getChatChannelId,
  inboxLive,
  parleyUrl,
  readServerDatabase,
  saveFirstResponseTarget,
  seriousViolations,
  signedInPage,
  writeServerDatabase,
} from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const inboxName = `Follow-up ${stamp}`;
const teamName = `Leads ${stamp}`;
const labelName = `Late ${stamp}`.slice(0, 40);
const contexts: BrowserContext[] = [];
let request: APIRequestContext;
let admin: Page;
let inboxId = "";
const conversations: string[] = [];
const listUrl = () => `/reports/breaches?range=7d&inbox=${encodeURIComponent(inboxId)}`;
const table = (page: Page) => page.getByRole("table", { name: "Answers that missed their target" });
const form = (page: Page) => page.getByRole("form", { name: "Follow up the selected answers" });

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
});

test.afterAll(async () => {
  for (const c of contexts) await c.close();
  await request?.dispose();
});

test("an agent answers two conversations ten minutes after their handover, against a five-minute target, and closes one", async ({ browser }) => {
  admin = await signedInPage(browser, adminEmail(), contexts);
  inboxId = await createInboxWithMembers(admin, inboxName, [/Alex Agent/]);
  await saveFirstResponseTarget(admin, 5);
  await createTeam(admin, teamName);
  await admin.goto("/settings/labels");
  const add = admin.getByRole("region", { name: "Add a label" });
  await add.getByLabel("Name").fill(labelName);
  await add.getByRole("button", { name: "Add label" }).click();
  await expect(admin.getByRole("status")).toHaveText("The label is added.");

  const channelId = await getChatChannelId(request);
  const agent = await signedInPage(browser, demoUsers.agent, contexts);
  for (const [i, question] of [`Where is parcel ${stamp}?`, `Refund ${stamp}?`].entries()) {
    const { conversationId } = await apiVisitorAsksForAPerson(request, channelId, question);
    conversations.push(conversationId);
    writeServerDatabase("UPDATE conversations SET inbox_id = ? WHERE id = ?", inboxId, conversationId);
    backdateForReports(conversationId, 600_000);
    await agent.goto(`/inbox/${encodeURIComponent(conversationId)}`);
    await inboxLive(agent);
    await agent.getByRole("textbox", { name: "Reply to the visitor" }).fill(`Sorry for the wait (${i}).`);
    await agent.getByRole("button", { name: "Send reply" }).click();
    await expect(agent.getByRole("log", { name: "Conversation transcript" })).toContainText(`Sorry for the wait (${i}).`);
    if (i === 1) {
      await agent.getByRole("button", { name: "Close conversation" }).click();
      await expect.poll(() => readServerDatabase<{ status: string }>("SELECT status FROM conversations WHERE id = ?", conversationId).status).toBe("closed");
    }
  }
});

test("without JavaScript, following up nothing is refused at the selection, and the filters stay", async ({ browser }) => {
  const page = await signedInPage(browser, adminEmail(), contexts, { javaScriptEnabled: false });
  await page.goto(listUrl());
  await expect(page.getByRole("heading", { level: 2, name: "2 answers missed their target" })).toBeVisible();
  await form(page).getByRole("button", { name: "Follow up" }).click();
  await expect(form(page).getByRole("alert")).toHaveText("Select at least one answer");
  expect(new URL(page.url()).searchParams.get("inbox")).toBe(inboxId);
  await expect(page.getByRole("heading", { level: 2, name: "2 answers missed their target" })).toBeVisible();
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND is_internal = 1 AND author = 'agent'", conversations[0]).n).toBe(0);
});

test("the lead selects the page's answers, assigns to a team, labels and comments: the closed one is skipped and counted", async () => {
  await admin.goto(listUrl());
  await expect(admin.getByRole("heading", { level: 2, name: "2 answers missed their target" })).toBeVisible();
  await table(admin).getByRole("checkbox", { name: "Select all on this page" }).check();
  for (const id of conversations) await expect(table(admin).getByRole("checkbox", { name: new RegExp(`first response in ${id} with`) })).toBeChecked();
  await form(admin).getByLabel("Assign to").selectOption({ label: teamName });
  await form(admin).getByLabel("Add label").selectOption({ label: labelName });
  await expect(form(admin).getByRole("checkbox", { name: "Leave an internal comment on each" })).toBeChecked();
  await form(admin).getByLabel("Comment ends with (optional)").fill("@Alex can you call them back?");
  expect(await seriousViolations(admin)).toEqual([]);
  await form(admin).getByRole("button", { name: "Follow up" }).click();

  await expect(admin.getByRole("status").filter({ hasText: /^Followed up/ })).toHaveText(/^Followed up 1 conversation; 1 skipped: closed \(.+\)$/);
  expect(new URL(admin.url()).searchParams.get("inbox")).toBe(inboxId);
  // Nothing stays ticked after a follow-up.
  await expect(table(admin).getByRole("checkbox", { name: "Select all on this page" })).not.toBeChecked();
  // The closed conversation is as it was.
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND is_internal = 1 AND author = 'agent'", conversations[1]).n).toBe(0);

  await table(admin).getByRole("link", { name: new RegExp(`^Open conversation ${conversations[0]} with`) }).click();
  await expect(admin).toHaveURL(new RegExp(`/inbox/${conversations[0]}$`));
  const transcript = admin.getByRole("log", { name: "Conversation transcript" });
  await expect(transcript).toContainText(/Missed the first-response target by \d+ min on \d{1,2} [A-Z][a-z]{2} — @Alex can you call them back\?/);
  // Other specs' conversations carry labels too (the list beside the thread): the run's own label is found by its name.
  await expect(admin.getByRole("list", { name: "Labels" }).filter({ hasText: labelName }).first()).toBeVisible();
  expect(
    readServerDatabase<{ n: number }>(
      "SELECT count(*) AS n FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = ? AND l.name = ?",
      conversations[0],
      labelName,
    ).n,
  ).toBe(1);
  expect(readServerDatabase<{ team: string }>("SELECT t.name AS team FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = ?", conversations[0]).team).toBe(teamName);
});

test("with one answer a page, the lead follows up all the list's answers, on every page: the server reads the list under its filters", async () => {
  await admin.goto(`${listUrl()}&limit=1`);
  await expect(admin.getByRole("heading", { level: 2, name: "2 answers missed their target" })).toBeVisible();
  const whole = form(admin).getByRole("checkbox", { name: "All 2 answers in this list, on every page" });
  await whole.check();
  await form(admin).getByLabel("Comment ends with (optional)").fill(`whole list ${stamp}`);
  await form(admin).getByRole("button", { name: "Follow up" }).click();
  // The second answer is on the next page: its (closed) conversation is judged too, and skipped.
  await expect(admin.getByRole("status").filter({ hasText: /^Followed up/ })).toHaveText(/^Followed up 1 conversation; 1 skipped: closed \(.+\)$/);
  expect(new URL(admin.url()).searchParams.get("limit")).toBe("1");
  const comments = (id: string) =>
    readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND is_internal = 1 AND author = 'agent' AND text LIKE ?", id, `%whole list ${stamp}`).n;
  expect([comments(conversations[0]!), comments(conversations[1]!)]).toEqual([1, 0]);
});

test("an analyst reads the list without the checkboxes or the form", async ({ browser }) => {
  const analyst = await signedInPage(browser, demoUsers.analyst, contexts);
  await analyst.goto(listUrl());
  await expect(table(analyst).getByRole("row").filter({ hasText: conversations[0]! })).toBeVisible();
  await expect(table(analyst).getByRole("checkbox")).toHaveCount(0);
  await expect(form(analyst)).toHaveCount(0);
  // Nor may the analyst post it.
  const post = await analyst.request.post(listUrl(), { form: { breach: "1", comment: "on" } });
  expect(post.status()).toBe(403);
  expect(await post.text()).toContain("Your role (analyst) cannot open this page.");
});
