/**
 * What the visitor has seen, end to end: the real widget on a demo site on another origin, an
 * agent replying from the inbox, and the server's database read (reads only, as
 * permissions.spec.ts does) for `visitor_reads`. A reply counts as seen only once the chat panel
 * is open and the page visible: not while the panel is closed, not in a hidden tab.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { demoUsers, handOffThroughLeadBot, parleyUrl, readServerDatabase, signIn, useDemoSite, widget } from "./helpers.js";

const { launcher, chat, transcript, composer } = widget;

/** Longer than the widget's debounce (~400 ms) plus a request: a mark it would send has landed by then. */
const SETTLE_MS = 1500;

const demo = useDemoSite();

const seenThrough = (conversationId: string) =>
  readServerDatabase<{ id: number } | undefined>("SELECT last_seen_message_id AS id FROM visitor_reads WHERE conversation_id = ?", conversationId)?.id ?? null;
const newestVisible = (conversationId: string) =>
  readServerDatabase<{ id: number }>("SELECT max(id) AS id FROM messages WHERE conversation_id = ? AND is_internal = 0", conversationId).id;

/** Pretends the visitor switched tabs (or came back): what `document.visibilityState` says, and its event. */
const setVisibility = (page: Page, state: "visible" | "hidden") =>
  page.evaluate((value) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => value });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);

/** A visitor who went through the lead bot to the team, with the chat open; returns the conversation id. */
const visitorHandedOff = async (browser: Browser) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const id = await handOffThroughLeadBot(page, { ...demo, name: "Hedy" });
  return { context, page, id };
};

test("a reply counts as seen only with the chat open and the page in view", async ({ browser }) => {
  const { context, page, id } = await visitorHandedOff(browser);
  // Everything so far was shown in the open panel of a visible page.
  await expect.poll(() => seenThrough(id), { timeout: 10_000 }).toBe(newestVisible(id));

  const agentContext = await browser.newContext({ baseURL: parleyUrl() });
  const agent = await agentContext.newPage();
  await signIn(agent, demoUsers.agent);
  await agent.goto(`/inbox?conversation=${encodeURIComponent(id)}`);
  const reply = async (text: string) => {
    await agent.getByRole("textbox", { name: /reply/i }).fill(text);
    await agent.getByRole("button", { name: /^send/i }).click();
  };

  // The panel is closed: the reply reaches the page (the unread badge) but is not seen.
  await composer(page).press("Escape");
  await expect(chat(page)).toBeHidden();
  const before = seenThrough(id);
  await reply("Hi Hedy, Alex here. Still there?");
  await expect(launcher(page)).toHaveAccessibleName(/1 unread/, { timeout: 15_000 });
  await page.waitForTimeout(SETTLE_MS);
  expect(seenThrough(id)).toBe(before);
  expect(newestVisible(id)).toBeGreaterThan(before!);

  // Opening the panel shows it: now it is seen.
  await launcher(page).click();
  await expect(transcript(page)).toContainText("Alex here. Still there?");
  await expect.poll(() => seenThrough(id), { timeout: 10_000 }).toBe(newestVisible(id));

  // The panel stays open but the visitor switched tabs: the next reply is drawn, not seen.
  await setVisibility(page, "hidden");
  const beforeHidden = seenThrough(id);
  await reply("I'll send you the details by email.");
  await expect(transcript(page)).toContainText("send you the details by email", { timeout: 15_000 });
  await page.waitForTimeout(SETTLE_MS);
  expect(seenThrough(id)).toBe(beforeHidden);
  // The agent sees it is not read yet, and that it will follow the visitor by email (the bot made her a contact).
  const followUp = agent.locator(".message--agent").last().locator(".follow-up");
  await expect(followUp).toHaveText(/^Not seen yet · emailed to the visitor at .+ if still unseen$/);
  // Back to the tab: seen, and the agent's thread says so without a reload.
  await setVisibility(page, "visible");
  await expect.poll(() => seenThrough(id), { timeout: 10_000 }).toBe(newestVisible(id));
  await expect(followUp).toHaveText(/^Seen · /, { timeout: 10_000 });

  await agentContext.close();
  await context.close();
});
