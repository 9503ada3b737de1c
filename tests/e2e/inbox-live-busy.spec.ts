/**
 * The inbox keeps up while its live feed never pauses. A busy bot or a chatty visitor sends the
 * feed an event every few dozen milliseconds; the page re-reads a burst once, after a pause — but
 * it must not wait for a pause that never comes. Here one visitor writes every 90 ms for ~4 s,
 * and a second visitor's handoff, made meanwhile, must show in an agent's list while the first is
 * still writing (a plain 150 ms debounce showed it only after the stream stopped).
 *
 * Most of a busy feed is what bots say in the conversations they still hold, which only the Bot
 * view shows: its page's feed asks for those (`?bots=all`), and its list follows a bot's
 * conversation as the bot answers.
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support inbox.
 */
import { expect, test, type BrowserContext } from "@playwright/test";
import { apiVisitorAsksForAPerson, demoUsers, getChatChannelId, inboxLive, parleyUrl, readServerDatabase, signedInPage } from "./helpers.js";

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

test("the Bot view's list follows what a bot says in a conversation it still holds, live", async ({ browser, playwright }) => {
  const request = await playwright.request.newContext({ baseURL: parleyUrl() });
  const contexts: BrowserContext[] = [];
  try {
    const channelId = await getChatChannelId(request);
    const leadBot = readServerDatabase<{ id: string }>(
      `SELECT c.id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id
       WHERE c.archived_at IS NULL AND json_extract(v.spec, '$.id') = 'lead_qualification' LIMIT 1`,
    ).id;
    const agent = await signedInPage(browser, demoUsers.agent, contexts);
    await agent.goto("/inbox?view=bot");
    await inboxLive(agent);

    const pageUrl = "https://shop.example/pricing";
    const made = await request.post(`${parleyUrl()}/api/visitors`, { data: { channel: channelId, pageUrl } });
    expect(made.status()).toBe(201);
    const headers = { Authorization: `Bearer ${((await made.json()) as { visitorToken: string }).visitorToken}` };
    const started = await request.post(`${parleyUrl()}/api/conversations`, { headers, data: { channel: channelId, chatflowId: leadBot, pageUrl } });
    expect(started.status(), await started.text()).toBe(201);
    const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;
    // Its arrival is on every feed; let the list take it in before the visitor answers.
    await expect(agent.locator(`a[href^="/inbox/${conversationId}"]`)).toBeVisible();

    // The visitor's answer keeps the conversation with the bot: only the Bot view's feed carries it.
    const name = `Bea ${Date.now()}`;
    const answered = await request.post(`${parleyUrl()}/api/conversations/${conversationId}/messages`, {
      headers,
      data: { clientMessageId: "bot-view-1", text: name },
    });
    expect(answered.status(), await answered.text()).toBe(200);
    expect(((await answered.json()) as { status: string }).status).toBe("bot");
    await expect(agent.locator(`a[href^="/inbox/${conversationId}"]`)).toContainText(`Nice to meet you, ${name}`);
  } finally {
    for (const context of contexts) await context.close();
    await request.dispose();
  }
});
