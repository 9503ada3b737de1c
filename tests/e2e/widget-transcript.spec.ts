/**
 * "Email me this conversation", end to end: the admin gives the demo chat's inbox a team email
 * whose relay is a local smtp-server (a stand-in for the team's relay); a visitor on the demo
 * site goes through the lead bot to the team; the agent answers and closes; in the closed chat
 * the visitor asks for the conversation by email with the keyboard, confirms the address they
 * gave the bot (shown masked) and sees the confirmation. The agent's thread shows the request
 * (an internal line and the transcript's state) without a reload, and the agent's own "Email
 * transcript" to a typed address is queued and recorded the same way.
 *
 * Other specs add team emails to the same inbox (and the first that can send is used), so which
 * relay gets the mail is not this spec's to know: it asserts what Parley records. The mail itself
 * (recipients, content, no internal comment) is asserted in tests/api/transcripts.test.ts.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { startFakeRelay, type FakeRelay } from "../support/fake-relay.js";
import { addTeamEmail, adminEmail, handOffThroughLeadBot, inboxLive, parleyUrl, readServerDatabase, signIn, useDemoSite, widget } from "./helpers.js";

const { transcript } = widget;
const demo = useDemoSite();
const stamp = Date.now();

let relay: FakeRelay;

test.beforeAll(async () => {
  relay = await startFakeRelay();
});

test.afterAll(async () => {
  await relay.close();
});

test("a visitor gets the closed conversation by email from the widget; the agent sees it and sends one too", async ({ browser }) => {
  const team = `chat-copies-${stamp}@acme.test`;
  const inbox = readServerDatabase<{ name: string }>("SELECT i.name FROM channels c JOIN inboxes i ON i.id = c.inbox_id WHERE c.id = ?", demo.channelId);

  // The admin gives the chat's inbox a team email that can send.
  const agentContext = await browser.newContext({ baseURL: parleyUrl() });
  const agent = await agentContext.newPage();
  await signIn(agent, adminEmail());
  await agent.goto("/");
  await addTeamEmail(agent, { name: `Chat copies ${stamp}`, inbox: inbox.name, address: team, relayPort: relay.port });

  // The visitor goes through the lead bot to the team (the bot keeps their address on their contact).
  const visitorContext = await browser.newContext();
  const page = await visitorContext.newPage();
  const name = `Tess${stamp}`;
  const id = await handOffThroughLeadBot(page, { ...demo, name });
  const address = `${name.toLowerCase()}@example.com`;

  // The agent answers and closes it.
  await agent.goto(`/inbox?conversation=${encodeURIComponent(id)}`);
  await expect(agent).toHaveURL(new RegExp(`/inbox/${id}$`));
  await inboxLive(agent);
  await agent.getByRole("textbox", { name: /reply/i }).fill(`Hi ${name}, your plan is upgraded.`);
  await agent.getByRole("button", { name: /^send/i }).click();
  await expect(transcript(page)).toContainText("your plan is upgraded", { timeout: 15_000 });
  await agent.getByRole("button", { name: "Close conversation" }).click();
  await expect(agent.getByRole("button", { name: "Reopen" })).toBeVisible();

  // The closed chat offers the transcript; the visitor asks with the keyboard.
  await expect(transcript(page)).toContainText("This conversation has ended", { timeout: 15_000 });
  const ask = transcript(page).getByRole("button", { name: "Email me this conversation" });
  await expect(ask).toBeVisible({ timeout: 15_000 });
  await ask.focus();
  await page.keyboard.press("Enter");
  await expect(transcript(page).getByText("Send a copy of this conversation to t•••@example.com?")).toBeVisible();
  const sendCopy = transcript(page).getByRole("button", { name: "Send copy" });
  await expect(sendCopy).toBeFocused();
  const results = await new AxeBuilder({ page }).include("parley-widget").analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.keyboard.press("Enter");
  const confirmation = transcript(page).getByRole("status").filter({ hasText: "On its way to t•••@example.com" });
  await expect(confirmation).toBeVisible();
  await expect(confirmation).toBeFocused();

  // The agent's thread hears it: the internal line and the transcript's state, without a reload.
  const thread = agent.getByRole("log", { name: "Conversation transcript" });
  await expect(thread).toContainText("The visitor asked for a transcript by email (to t•••@example.com)", { timeout: 15_000 });
  const copies = agent.getByRole("region", { name: "Transcripts by email" });
  await expect(copies.getByRole("status").filter({ hasText: `Transcript to ${address} (asked for by the visitor` })).toBeVisible();

  // The agent sends one to an address they type.
  const boss = `boss-${stamp}@example.com`;
  await copies.getByText("Email transcript", { exact: true }).click();
  await copies.getByLabel("To").fill(boss);
  await copies.getByRole("button", { name: "Send transcript" }).click();
  await expect(copies.getByRole("status").filter({ hasText: `Transcript on its way to ${boss}.` })).toBeVisible();
  await expect(thread).toContainText(`emailed the transcript to ${boss}`, { timeout: 15_000 });
  await expect(copies.getByRole("status").filter({ hasText: `Transcript to ${boss} (sent by an agent` })).toBeVisible();

  // A typo is refused at the field, and nothing more is queued.
  await copies.getByLabel("To").fill("not-an-address");
  await copies.getByRole("button", { name: "Send transcript" }).click();
  await expect(copies.getByLabel("To")).toHaveAccessibleDescription("expected an email address like name@example.com");
  await expect(copies.getByLabel("To")).toHaveAttribute("aria-invalid", "true");
  const count = readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM transcript_emails WHERE conversation_id = ?", id);
  expect(count.n).toBe(2);

  await visitorContext.close();
  await agentContext.close();
});
