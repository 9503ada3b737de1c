/**
 * The inbox keeps up while its live feed never pauses. A busy bot or a chatty visitor sends the
 * feed an event every few dozen milliseconds; the page re-reads a burst once, after a pause — but
 * it must not wait for a pause that never comes. Here one visitor writes every 90 ms for ~4 s,
 * and a second visitor's handoff, made meanwhile, must show in an agent's list while the first is
 * still writing (a plain 150 ms debounce showed it only after the stream stopped).
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support inbox.
 */
import { expect, test, type BrowserContext } from "@playwright/test";
import { apiVisitorAsksForAPerson, demoUsers, getChatChannelId, inboxLive, parleyUrl, signedInPage } from "./helpers.js";

const STREAM_MESSAGES = 45;
const STREAM_EVERY_MS = 90;

test("a handoff shows in the list while another visitor's messages keep the feed busy", async ({ browser, playwright }) => {
  const request = await playwright.request.newContext({ baseURL: parleyUrl() });
  const contexts: BrowserContext[] = [];
  try {
    const channelId = await getChatChannelId(request);
    const chatty = await apiVisitorAsksForAPerson(request, channelId, `Chatty visitor ${Date.now()}`);
    const agent = await signedInPage(browser, demoUsers.agent, contexts);
    await agent.goto("/inbox?view=all_open");
    await inboxLive(agent);

    // The chatty visitor writes on (a visitor's bucket holds 60 messages: no 429 in this burst).
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; i < STREAM_MESSAGES; i++) {
        const sent = await request.post(`${parleyUrl()}/api/conversations/${chatty.conversationId}/messages`, {
          headers: { Authorization: `Bearer ${chatty.token}` },
          data: { clientMessageId: `busy-${i}`, text: `line ${i}` },
        });
        expect(sent.status(), await sent.text()).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, STREAM_EVERY_MS));
      }
      streaming = false;
    })();

    await new Promise((resolve) => setTimeout(resolve, 600));
    const question = `Anyone there while it is busy ${Date.now()}?`;
    await apiVisitorAsksForAPerson(request, channelId, question);
    const list = agent.getByRole("list", { name: /conversations$/ });
    await expect(list.getByRole("listitem").filter({ hasText: question })).toBeVisible({ timeout: 2500 });
    // Shown while the feed was still busy, not after it fell quiet.
    expect(streaming).toBe(true);
    await stream;
  } finally {
    for (const context of contexts) await context.close();
    await request.dispose();
  }
});
