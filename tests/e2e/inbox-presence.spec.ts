/**
 * Presence in the inbox: two people open the same conversation and each sees that the other
 * has it open too; when one leaves the thread the other's line clears at once (the live feed),
 * and it comes back when they return; closing the tab clears it too. Also after a reload: the heartbeat's answer says who is
 * there, without waiting for anyone to come or go.
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support inbox.
 */
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import { adminEmail, adminPassword, apiVisitorAsksForAPerson, demoUsers, getChatChannelId, login, parleyUrl, readServerDatabase } from "./helpers.js";

test.describe.configure({ mode: "serial" });

let request: APIRequestContext;
let contexts: BrowserContext[] = [];
let admin: Page;
let agent: Page;
let conversationId = "";
const question = `Is anyone reading this ${Date.now()}?`;

const nameOf = (email: string) =>
  readServerDatabase<{ name: string }>("SELECT COALESCE(display_name, name) AS name FROM users WHERE email = ?", email).name;
const viewers = (page: Page) => page.getByRole("status").filter({ hasText: "also viewing" });
const transcript = (page: Page) => page.getByRole("log", { name: "Conversation transcript" });

test.beforeAll(async ({ browser, playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
  const channelId = await getChatChannelId(request);
  ({ conversationId } = await apiVisitorAsksForAPerson(request, channelId, question));
  const open = async (email: string) => {
    const context = await browser.newContext({ baseURL: parleyUrl() });
    contexts.push(context);
    const page = await context.newPage();
    await login(page, email, adminPassword());
    return page;
  };
  admin = await open(adminEmail());
  agent = await open(demoUsers.agent);
});

test.afterAll(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
  await request?.dispose();
});

test("two people on one conversation see each other; leaving and coming back shows live", async () => {
  const adminName = nameOf(adminEmail());
  const agentName = nameOf(demoUsers.agent);

  await agent.goto(`/inbox/${conversationId}`);
  await expect(transcript(agent)).toContainText(question);
  await expect(viewers(agent)).toHaveCount(0);

  await admin.goto(`/inbox/${conversationId}`);
  await expect(transcript(admin)).toContainText(question);
  // The admin's heartbeat answer names the agent; the agent hears the admin arrive on the live feed.
  await expect(viewers(admin)).toHaveText(`${agentName} is also viewing this conversation`);
  await expect(viewers(agent)).toHaveText(`${adminName} is also viewing this conversation`);

  // The admin goes back to the list: the agent's line clears without a reload.
  await admin.getByRole("link", { name: "Inbox", exact: true }).first().click();
  await expect(admin).toHaveURL(/\/inbox(\?|$)/);
  await expect(viewers(agent)).toHaveCount(0);

  // A reload of the agent's page: the admin is not there; the admin returns and shows again.
  await agent.reload();
  await expect(transcript(agent)).toContainText(question);
  await expect(viewers(agent)).toHaveCount(0);
  await admin.goto(`/inbox/${conversationId}`);
  await expect(viewers(agent)).toHaveText(`${adminName} is also viewing this conversation`);

  // Closing the tab says so on the way out (a keepalive request), not a minute later.
  await admin.close();
  await expect(viewers(agent)).toHaveCount(0, { timeout: 5000 });
});
