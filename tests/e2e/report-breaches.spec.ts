/**
 * Answers that missed their response target, as a support lead finds them: an admin gives a new
 * inbox (its own stamp name) a five-minute first-response target; a visitor's conversation is
 * moved into it, and the report's roll-up is told the visitor was handed over ten minutes ago
 * (the spec writes that into the server's database: it cannot wait ten minutes); the demo agent
 * answers in the inbox. On the team report, filtered to the inbox, the "missed" count opens the
 * list of breaches, whose row names who the conversation is with (its contact, linked by the spec
 * in the database as a contact form would) and links to the conversation; the agent's count opens
 * the same row, and the CSV download holds it. The Agent picker offers the people who answer, not
 * the marketer or the analyst; and on a phone the list scrolls inside its card, never the page.
 * A second conversation, answered by the admin twenty minutes after its handover, gives the list
 * two rows to sort: the column headers are links that sort by their column (aria-sort says which,
 * and which way), the pager, the filters and the CSV keep the order, and a bad order is refused.
 *
 * The shared database holds other specs' conversations and inboxes: every look is narrowed to
 * this spec's inbox.
 */
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import {
  adminEmail,
  apiVisitorAsksForAPerson,
  backdateForReports,
  createInboxWithMembers,
  demoUsers,
  getChatChannelId,
  inboxLive,
  parleyUrl,
  saveFirstResponseTarget,
  seriousViolations,
  signedInPage,
  writeServerDatabase,
} from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const inboxName = `Breaches ${stamp}`;
const question = `Where is parcel ${stamp}?`;
const contactId = `contact_breach_${stamp}`;
const contactName = `Brenda Breachworth-Longname ${stamp}`;
const PHONE = { width: 390, height: 844 };
const contexts: BrowserContext[] = [];
let request: APIRequestContext;
let admin: Page;
let inboxId = "";
let conversationId = "";

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
});

test.afterAll(async () => {
  for (const c of contexts) await c.close();
  await request?.dispose();
});

test("an agent answers a conversation ten minutes after the handover, against a five-minute target", async ({ browser }) => {
  admin = await signedInPage(browser, adminEmail(), contexts);
  inboxId = await createInboxWithMembers(admin, inboxName, [/Alex Agent/]);
  await saveFirstResponseTarget(admin, 5);

  const channelId = await getChatChannelId(request);
  ({ conversationId } = await apiVisitorAsksForAPerson(request, channelId, question));
  writeServerDatabase("UPDATE conversations SET inbox_id = ? WHERE id = ?", inboxId, conversationId);
  // Who the conversation is with: a contact of its own, as identifying the visitor would link one.
  writeServerDatabase(
    "INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    contactId,
    `brenda-${stamp}@example.com`,
    contactName,
    Date.now(),
    Date.now(),
  );
  writeServerDatabase("UPDATE conversations SET contact_id = ? WHERE id = ?", contactId, conversationId);
  // The first response is measured from the later of creation, handover and last opening, as the
  // roll-up holds them: ten minutes earlier, all of them.
  backdateForReports(conversationId, 600_000);

  const agent = await signedInPage(browser, demoUsers.agent, contexts);
  await agent.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  await inboxLive(agent);
  await agent.getByRole("textbox", { name: "Reply to the visitor" }).fill("Sorry for the wait: it ships today.");
  await agent.getByRole("button", { name: "Send reply" }).click();
  await expect(agent.getByRole("log", { name: "Conversation transcript" })).toContainText("Sorry for the wait: it ships today.");
});

test("the team report's missed count opens the breach, which links to its conversation", async () => {
  await admin.goto(`/reports/team?range=7d&inbox=${encodeURIComponent(inboxId)}`);
  const section = admin.getByRole("region", { name: "Response targets" });
  const row = section.getByRole("table", { name: "Response targets per inbox" }).getByRole("row").filter({ hasText: inboxName });
  // On target 0 of 1 measured: one missed, and that count is the link.
  await expect(row.getByRole("cell")).toHaveText(["5 min", "n/a", "around the clock", "0", "1", "0.0%", "1", "0", "0", "n/a", "0"]);
  await row.getByRole("link", { name: `First responses in ${inboxName} that missed the target` }).click();

  await expect(admin).toHaveURL(/\/reports\/breaches\?/);
  expect(new URL(admin.url()).searchParams.get("inbox")).toBe(inboxId);
  expect(new URL(admin.url()).searchParams.get("kind")).toBe("first_response");
  await expect(admin.getByRole("heading", { level: 2, name: "1 answer missed its target" })).toBeVisible();
  const breach = admin.getByRole("table", { name: "Answers that missed their target" }).getByRole("row").filter({ hasText: conversationId });
  await expect(breach.getByRole("rowheader")).toHaveText(conversationId);
  const cells = breach.getByRole("cell");
  await expect(cells.nth(0)).toHaveText(contactName);
  await expect(cells.nth(1)).toHaveText(inboxName);
  await expect(cells.nth(2)).toHaveText(/^Alex\b/);
  await expect(cells.nth(3)).toHaveText("First response");
  await expect(cells.nth(4)).toHaveText("0:05:00");
  await expect(cells.nth(5)).toHaveText(/^0:1\d:\d\d$/);
  await expect(cells.nth(6)).toHaveText(/^0:(0[5-9]|1\d):\d\d$/);
  expect(await seriousViolations(admin)).toEqual([]);

  // The CSV download holds the same row.
  const csvHref = await admin.getByRole("link", { name: /Download CSV/ }).getAttribute("href");
  expect(csvHref).toContain("kind=first_response");
  const csv = await admin.request.get(csvHref!);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).replace(/^\uFEFF/, "").trim().split("\r\n");
  expect(lines[0]).toBe("Conversation,With,Inbox,Agent,Kind,Target,Took,Over by,Counts,Waiting since,Answered");
  expect(lines.slice(1).map((l) => l.split(",").slice(0, 3))).toEqual([[conversationId, contactName, inboxName]]);

  await breach.getByRole("link", { name: `Open conversation ${conversationId} with ${contactName}` }).click();
  await expect(admin).toHaveURL(new RegExp(`/inbox/${conversationId}$`));
  await expect(admin.getByRole("log", { name: "Conversation transcript" })).toContainText(question);
});

test("the agent's missed count opens the same breach, and a bad filter is refused by name", async () => {
  await admin.goto(`/reports/team?range=7d&inbox=${encodeURIComponent(inboxId)}`);
  // Under the targets, a link to the whole list with the inbox's one missed answer.
  const all = admin.getByRole("link", { name: "The 1 answer that missed its target" });
  expect(new URL((await all.getAttribute("href"))!, parleyUrl()).searchParams.get("inbox")).toBe(inboxId);
  const agents = admin.getByRole("table", { name: "Agents", exact: true });
  await agents.getByRole("link", { name: /^First responses by Alex\b.* that missed the target$/ }).click();
  await expect(admin).toHaveURL(/agent=/);
  await expect(admin.getByRole("heading", { level: 2, name: "1 answer missed its target" })).toBeVisible();
  await expect(admin.getByRole("table", { name: "Answers that missed their target" }).getByRole("rowheader")).toHaveText([conversationId]);

  // The picker offers the people who answer visitors: the agent and the admin, not the marketer or the analyst.
  const picker = admin.getByLabel("Agent", { exact: true });
  await expect(picker.getByRole("option", { name: /^Alex Agent\b/ })).toHaveCount(1);
  await expect(picker.getByRole("option", { name: /^Mia Marketer\b/ })).toHaveCount(0);
  await expect(picker.getByRole("option", { name: /^Ana Analyst\b/ })).toHaveCount(0);

  const bad = await admin.request.get(`/reports/breaches?inbox=${encodeURIComponent(inboxId)}&kind=slow`);
  expect(bad.status()).toBe(400);
  expect(await bad.text()).toContain("expected one of first_response, next_reply");
});

test("on a phone, the list with its row fits the screen: the table scrolls inside its card", async () => {
  await admin.setViewportSize(PHONE);
  await admin.goto(`/reports/breaches?range=7d&inbox=${encodeURIComponent(inboxId)}`);
  const table = admin.getByRole("table", { name: "Answers that missed their target" });
  await expect(table.getByRole("row").filter({ hasText: contactName })).toHaveCount(1);
  // The page never scrolls sideways …
  expect(await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  // … the table, wider than the phone, scrolls inside its own container instead.
  const scroller = await table.evaluate((el) => {
    const box = el.parentElement!;
    return { overflowX: getComputedStyle(box).overflowX, wider: el.scrollWidth > box.clientWidth, fits: box.getBoundingClientRect().right <= window.innerWidth };
  });
  expect(scroller).toEqual({ overflowX: "auto", wider: true, fits: true });
  // Every filter, the pickers too, stays on screen.
  for (const label of ["Agent", "Answer"]) {
    const box = (await admin.getByLabel(label, { exact: true }).boundingBox())!;
    expect(box.x + box.width, `${label} ends on screen`).toBeLessThanOrEqual(PHONE.width);
  }
});

test("sorting by a column's header: both ways, kept by the pager, the filters and the CSV", async () => {
  await admin.setViewportSize({ width: 1280, height: 900 });
  // A second answer in the inbox: the admin's, twenty minutes after the handover (fifteen over the target).
  const channelId = await getChatChannelId(request);
  const later = await apiVisitorAsksForAPerson(request, channelId, `Second parcel ${stamp}?`);
  writeServerDatabase("UPDATE conversations SET inbox_id = ? WHERE id = ?", inboxId, later.conversationId);
  backdateForReports(later.conversationId, 1_200_000);
  await admin.goto(`/inbox/${encodeURIComponent(later.conversationId)}`);
  await inboxLive(admin);
  await admin.getByRole("textbox", { name: "Reply to the visitor" }).fill("Here now, sorry.");
  await admin.getByRole("button", { name: "Send reply" }).click();
  await expect(admin.getByRole("log", { name: "Conversation transcript" })).toContainText("Here now, sorry.");

  await admin.goto(`/reports/breaches?range=7d&inbox=${encodeURIComponent(inboxId)}`);
  const table = admin.getByRole("table", { name: "Answers that missed their target" });
  const header = (name: string) => table.getByRole("columnheader", { name, exact: true });
  const order = () => table.getByRole("rowheader");
  // The Agent cells (the row's third cell after its conversation).
  const agentsShown = () => table.locator("tbody tr td:nth-of-type(3)").allTextContents();
  await expect(admin.getByRole("heading", { level: 2, name: "2 answers missed their target" })).toBeVisible();

  // The most over first: the admin's fifteen minutes, then Alex's five. "Over by" says so; the other sortable headers are links without a state.
  await expect(order()).toHaveText([later.conversationId, conversationId]);
  await expect(header("Over by")).toHaveAttribute("aria-sort", "descending");
  for (const name of ["Inbox", "Agent", "Took", "Waiting since", "Answered"]) {
    await expect(header(name).getByRole("link", { name, exact: true })).toBeVisible();
    await expect(header(name)).not.toHaveAttribute("aria-sort", /.*/);
  }
  // Columns that do not sort are plain headers.
  await expect(header("Kind").getByRole("link")).toHaveCount(0);

  // The sorted column's header turns the order round.
  await header("Over by").getByRole("link").click();
  await expect(admin).toHaveURL(/[?&]sort=over(&|$)/);
  await expect(header("Over by")).toHaveAttribute("aria-sort", "ascending");
  await expect(order()).toHaveText([conversationId, later.conversationId]);

  // Another column sorts A to Z first (names), then Z to A.
  await header("Agent").getByRole("link").click();
  await expect(admin).toHaveURL(/[?&]sort=agent(&|$)/);
  await expect(header("Agent")).toHaveAttribute("aria-sort", "ascending");
  await expect(header("Over by")).not.toHaveAttribute("aria-sort", /.*/);
  const byName = (names: string[]) => [...names].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base", numeric: true }));
  const ascending = await agentsShown();
  expect(ascending).toHaveLength(2);
  expect(ascending).toEqual(byName(ascending));
  await header("Agent").getByRole("link").click();
  await expect(admin).toHaveURL(/[?&]sort=-agent(&|$)/);
  await expect(header("Agent")).toHaveAttribute("aria-sort", "descending");
  expect(await agentsShown()).toEqual([...ascending].reverse());
  const shown = await order().allTextContents();
  expect(await seriousViolations(admin)).toEqual([]);

  // The CSV download is in the same order.
  const csvHref = await admin.getByRole("link", { name: /Download CSV/ }).getAttribute("href");
  expect(new URL(csvHref!, parleyUrl()).searchParams.get("sort")).toBe("-agent");
  const csv = await admin.request.get(csvHref!);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).replace(/^\uFEFF/, "").trim().split("\r\n");
  expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(shown);

  // Applying the filters keeps the order.
  await admin.getByRole("button", { name: "Apply" }).click();
  await expect(admin).toHaveURL(/[?&]sort=-agent(&|$)/);
  await expect(order()).toHaveText(shown);

  // The newest answer first: the admin answered after Alex.
  await header("Answered").getByRole("link").click();
  await expect(admin).toHaveURL(/[?&]sort=-answered(&|$)/);
  await expect(header("Answered")).toHaveAttribute("aria-sort", "descending");
  await expect(order()).toHaveText([later.conversationId, conversationId]);

  // A page at a time, the pager keeps the order.
  await admin.goto(`/reports/breaches?range=7d&inbox=${encodeURIComponent(inboxId)}&sort=answered&limit=1`);
  await expect(order()).toHaveText([conversationId]);
  await admin.getByRole("link", { name: "Next page" }).click();
  await expect(admin).toHaveURL(/[?&]sort=answered(&|$)/);
  await expect(order()).toHaveText([later.conversationId]);
  await expect(header("Answered")).toHaveAttribute("aria-sort", "ascending");

  const bad = await admin.request.get(`/reports/breaches?inbox=${encodeURIComponent(inboxId)}&sort=slowest`);
  expect(bad.status()).toBe(400);
  expect(await bad.text()).toContain("expected one of over, took, waiting, answered, agent, inbox, with a leading - for descending");
});
