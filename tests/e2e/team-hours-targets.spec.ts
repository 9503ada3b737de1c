/**
 * Response targets in a team's hours (decision 048), as an agent sees them: an admin gives a new
 * inbox (its own stamp name) a one-hour first-response target counting business hours; a
 * visitor's conversation, waiting for two hours, is moved into it and into a team (its own stamp
 * name) whose own hours have not opened since — the spec writes the team, its hours and the wait
 * into the server's database (the team pages are another slice's; it cannot wait two hours). The
 * agent sees the answer still due, not overdue, and the tag says whose hours count, in the list
 * and the thread; queued for the closed team, the list's tag, the thread and Settings → Routing say
 * until when it is closed; once the team keeps no hours of its own, the tag no longer names it.
 *
 * The shared database holds other specs' conversations, inboxes and teams: every look is narrowed
 * to this spec's inbox and question.
 */
import { expect, test, type APIRequestContext, type BrowserContext } from "@playwright/test";
import { adminEmail, apiVisitorAsksForAPerson, createInboxWithMembers, demoUsers, getChatChannelId, signedInPage, parleyUrl, writeServerDatabase } from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const inboxName = `Team hours targets ${stamp}`;
const teamName = `Night team ${stamp}`;
const teamId = `team_hours_${stamp}`;
const question = `Where is parcel ${stamp}?`;
const contexts: BrowserContext[] = [];
let request: APIRequestContext;

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
});

test.afterAll(async () => {
  for (const c of contexts) await c.close();
  await request?.dispose();
});

test("a conversation of a team whose hours have not opened is not overdue, and its tag names the team's hours", async ({ browser }) => {
  const admin = await signedInPage(browser, adminEmail(), contexts);
  const inboxId = await createInboxWithMembers(admin, inboxName, [/Alex Agent/]);
  const targets = admin.getByRole("region", { name: "Response targets" });
  await targets.getByLabel("First response within", { exact: true }).fill("1");
  await targets.getByLabel("First response within: unit").selectOption("hours");
  await targets.getByRole("checkbox", { name: "Count only business hours" }).check();
  await targets.getByRole("button", { name: "Save response targets" }).click();
  await expect(targets.getByRole("status")).toHaveText("Response targets saved.");

  // The team opens one minute a week, three days from now (UTC): none of the two hours waited was its time.
  const day = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][new Date(stamp + 3 * 86_400_000).getUTCDay()];
  const hours = { source: "own", timezone: "UTC", hours: [{ day, from: "00:00", to: "00:01" }], closedDates: [], workspaceClosedDates: false };
  writeServerDatabase("INSERT INTO teams (id, name, created_at, hours) VALUES (?, ?, ?, ?)", teamId, teamName, stamp, JSON.stringify(hours));
  const channelId = await getChatChannelId(request);
  const { conversationId } = await apiVisitorAsksForAPerson(request, channelId, question);
  writeServerDatabase("UPDATE conversations SET inbox_id = ?, team_id = ?, waiting_since = ? WHERE id = ?", inboxId, teamId, Date.now() - 2 * 3_600_000, conversationId);

  const agent = await signedInPage(browser, demoUsers.agent, contexts);
  // The size response-targets.spec.ts clicks at: at Playwright's default 1280×720 the filters and
  // the bulk toolbar cover this list's row and the click never lands (left to the inbox's owners).
  await agent.setViewportSize({ width: 1280, height: 800 });
  await agent.goto(`/inbox?view=all_open&inboxId=${encodeURIComponent(inboxId)}`);
  const item = agent.getByRole("list", { name: /conversations$/ }).getByRole("listitem").filter({ hasText: question });
  await expect(item).toContainText("waiting 2 h");
  await expect(item.getByTitle(`First response due (target 1 h in ${teamName}'s hours)`)).toContainText(/^due in /);
  await expect(item).not.toContainText("overdue");

  await item.getByRole("link").click();
  const header = agent.locator(".thread__head");
  await expect(header.getByTitle(`First response due (target 1 h in ${teamName}'s hours)`)).toBeVisible();

  // Queued for the closed team (as routing queues it): the list's tag, the thread and Settings → Routing say until when.
  writeServerDatabase("UPDATE conversations SET queued_at = ? WHERE id = ?", Date.now() - 2 * 3_600_000, conversationId);
  await agent.reload();
  await expect(item).toContainText(`queued · ${teamName} closed`);
  await expect(header).toContainText(`waiting in the queue: ${teamName} is closed until `);
  await admin.goto("/settings/routing");
  await expect(admin.getByText(`1 for ${teamName}, closed until `, { exact: false })).toBeVisible();
  writeServerDatabase("UPDATE conversations SET queued_at = NULL WHERE id = ?", conversationId);

  // Without hours of its own, the team's conversation counts the workspace's: the tag no longer names the team.
  writeServerDatabase("UPDATE teams SET hours = NULL WHERE id = ?", teamId);
  await agent.reload();
  await expect(header.getByTitle(/^First response (overdue|due|due soon) \(target 1 h\)$/)).toBeVisible();
});
