/**
 * The inbox's Overdue view and the escalation, as an agent lives them: an admin gives a new inbox
 * (its own stamp name) a one-minute first-response target and makes the demo agent a member; the
 * agent opens the Overdue view of that inbox (empty, and honest about it); a visitor's
 * conversation is moved into the inbox with its wait begun ten minutes ago (the spec writes that
 * into the server's database: it cannot wait), and — with no reload and nothing else changing on
 * the page — the server's escalation pass finds it, records it once, and the agent is notified
 * while the row appears in the Overdue view with its due tag. An unknown view in the URL is a 400.
 *
 * The shared database holds other specs' conversations and inboxes: every look is narrowed to
 * this spec's inbox and question.
 */
import { expect, test, type APIRequestContext, type BrowserContext } from "@playwright/test";
import {
  adminEmail,
  apiVisitorAsksForAPerson,
  createInboxWithMembers,
  demoUsers,
  getChatChannelId,
  inboxLive,
  parleyUrl,
  readServerDatabase,
  seriousViolations,
  signedInPage,
  writeServerDatabase,
} from "./helpers.js";

const contexts: BrowserContext[] = [];
let request: APIRequestContext;

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
});

test.afterAll(async () => {
  for (const c of contexts) await c.close();
  await request?.dispose();
});

test("a conversation that falls past its inbox's target is escalated once and lands in the Overdue view, live", async ({ browser }) => {
  // The escalation pass runs every 10 s: the spec may wait for one.
  test.setTimeout(90_000);
  const stamp = `${Date.now()}-${test.info().retry}`;
  const inboxName = `Overdue ${stamp}`;
  const question = `Has my order shipped yet ${stamp}?`;

  const admin = await signedInPage(browser, adminEmail(), contexts);
  const inboxId = await createInboxWithMembers(admin, inboxName, [/Alex Agent/]);
  const targets = admin.getByRole("region", { name: "Response targets" });
  await targets.getByLabel("First response within", { exact: true }).fill("1");
  await targets.getByLabel("First response within: unit").selectOption("minutes");
  await targets.getByRole("button", { name: "Save response targets" }).click();
  await expect(targets.getByRole("status")).toHaveText("Response targets saved.");

  // The visitor is handed to the demo's support inbox before the agent's page listens: its handoff
  // notice would stand for this conversation's next few seconds and cover the overdue one.
  const channelId = await getChatChannelId(request);
  const { conversationId } = await apiVisitorAsksForAPerson(request, channelId, question);

  const agent = await signedInPage(browser, demoUsers.agent, contexts);
  await agent.goto(`/inbox?view=overdue&inboxId=${encodeURIComponent(inboxId)}`);
  const views = agent.getByRole("navigation", { name: "Views" });
  await expect(views.getByRole("link", { name: /Overdue/ })).toHaveAttribute("aria-current", "page");
  await expect(agent.getByText("No conversations in “Overdue”.")).toBeVisible();
  await expect(agent.getByText("Past their inbox’s response target, most overdue first.")).toBeVisible();
  await inboxLive(agent);
  expect(await seriousViolations(agent)).toEqual([]);

  // Into this spec's inbox, unassigned (its members hear of it), waiting for ten minutes: nine past the target.
  writeServerDatabase("UPDATE conversations SET inbox_id = ?, assignee_id = NULL, team_id = NULL, waiting_since = ? WHERE id = ?", inboxId, Date.now() - 10 * 60_000, conversationId);

  // The pass runs every 10 s; the page follows the live feed, no reload.
  const item = agent.getByRole("list", { name: "Overdue conversations" }).getByRole("listitem").filter({ hasText: question });
  await expect(item).toBeVisible({ timeout: 30_000 });
  await expect(item.getByTitle("First response overdue (target 1 min)")).toContainText(/overdue 9 min/);
  const notice = agent.getByRole("list", { name: "Notifications" }).getByRole("link", { name: /An unassigned conversation is overdue/ }).and(
    agent.locator(`a[href="/inbox/${conversationId}"]`),
  );
  await expect(notice).toBeVisible();
  await expect(views.getByRole("link", { name: /Overdue/ })).toContainText("1");

  // Recorded in the events log for this wait: the first response, due a minute after the wait began.
  const recorded = readServerDatabase<{ n: number; kind: string }>(
    "SELECT count(*) AS n, json_extract(data, '$.kind') AS kind FROM events WHERE type = 'response_overdue' AND conversation_id = ?",
    conversationId,
  );
  expect(recorded).toEqual({ n: 1, kind: "first_response" });

  // A view the inbox does not have is refused, not shown as some other view.
  const bad = await agent.request.get(`/inbox?view=late`);
  expect(bad.status()).toBe(400);
});
