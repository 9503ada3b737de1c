/**
 * Snooze in the inbox, as an agent uses it from the keyboard: a conversation snoozed with a
 * preset leaves All open and waits in Snoozed; when its time comes (the spec moves it into the
 * past in the server's database — the server's own loop and live feed do the rest) it comes back
 * by itself, on the open page. Snoozed again for a date and time typed in the field, it wakes at
 * once when the visitor writes through the public API, whose status stays one of its four values.
 * Unsnooze ends a snooze by hand. On a phone, the open menu fits the screen.
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support inbox.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import { apiVisitorAsksForAPerson, demoUsers, getChatChannelId, inboxLive, parleyUrl, readServerDatabase, signIn, writeServerDatabase } from "./helpers.js";

test.describe.configure({ mode: "serial" });

let context: BrowserContext;
let agent: Page;
let request: APIRequestContext;
let channelId = "";
let visit: { conversationId: string; token: string };
const question = `Where is my parcel ${Date.now()}?`;

const conversationList = (page: Page) => page.getByRole("list", { name: /conversations$/ });
const transcript = (page: Page) => page.getByRole("log", { name: "Conversation transcript" });
const views = (page: Page) => page.getByRole("navigation", { name: "Views" });
/** The Snooze menu's toggle (a <summary>: the first "Snooze" on the page; the menu's own submit button comes after it). */
const snoozeToggle = (page: Page) => page.getByText("Snooze", { exact: true }).first();
const item = (page: Page) => conversationList(page).getByRole("listitem").filter({ hasText: question });
const snoozedUntil = () => readServerDatabase<{ snoozed_until: number | null }>("SELECT snoozed_until FROM conversations WHERE id = ?", visit.conversationId).snoozed_until;

test.beforeAll(async ({ browser, playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
  channelId = await getChatChannelId(request);
  visit = await apiVisitorAsksForAPerson(request, channelId, question);
  context = await browser.newContext({ baseURL: parleyUrl() });
  agent = await context.newPage();
  await signIn(agent, demoUsers.agent);
  await agent.goto("/");
});

test.afterAll(async () => {
  await context?.close();
  await request?.dispose();
});

test("an agent snoozes a conversation from the keyboard: it leaves All open and waits in Snoozed, then comes back live when its time comes", async () => {
  await agent.goto("/inbox?view=all_open");
  await conversationList(agent).getByRole("link").filter({ hasText: question }).click();
  await expect(transcript(agent)).toContainText(question);

  // The menu is a disclosure: Enter opens it, Tab reaches the presets.
  await snoozeToggle(agent).focus();
  await agent.keyboard.press("Enter");
  const menu = agent.getByRole("form", { name: "Snooze until" });
  await expect(menu.getByRole("button", { name: /^Tomorrow 09:00/ })).toBeVisible();
  await expect(menu.getByLabel("Until")).toBeVisible();
  const axe = await new AxeBuilder({ page: agent }).include(".thread__head").analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await menu.getByRole("button", { name: /^In 1 hour/ }).focus();
  await agent.keyboard.press("Enter");

  await expect(agent.getByText(/^Snoozed until /)).toBeVisible({ timeout: 15_000 });
  await expect(agent.getByRole("button", { name: "Unsnooze" })).toBeVisible();
  await expect(transcript(agent)).toContainText(/Snoozed by .+ until /);
  const until = snoozedUntil();
  expect(until).not.toBeNull();
  expect(Math.abs(until! - (Date.now() + 3_600_000))).toBeLessThan(120_000);

  // Out of All open (the page re-read itself), into Snoozed.
  await expect(item(agent)).toHaveCount(0);
  await views(agent).getByRole("link", { name: /^Snoozed/ }).click();
  await expect(agent).toHaveURL(/view=snoozed/);
  await expect(item(agent)).toContainText("snoozed until");
  await inboxLive(agent);

  // Its time comes: the server's loop wakes it and the open page follows, without a reload.
  await agent.evaluate(() => ((window as unknown as { stayedOnPage: boolean }).stayedOnPage = true));
  writeServerDatabase("UPDATE conversations SET snoozed_until = ? WHERE id = ?", Date.now() - 1000, visit.conversationId);
  await expect(transcript(agent)).toContainText("Snooze ended", { timeout: 20_000 });
  await expect(item(agent)).toHaveCount(0);
  await expect(agent.getByText(/^Snoozed until /)).toHaveCount(0);
  expect(await agent.evaluate(() => (window as unknown as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
  await views(agent).getByRole("link", { name: /^All open/ }).click();
  await expect(item(agent)).toHaveCount(1);
});

test("snoozed until a date and time typed in, it wakes at once when the visitor writes; Unsnooze ends a snooze by hand", async () => {
  await agent.goto(`/inbox/${encodeURIComponent(visit.conversationId)}?view=all_open`);
  await snoozeToggle(agent).click();
  const menu = agent.getByRole("form", { name: "Snooze until" });
  // Snooze with nothing in the field asks for a time there, as the browser asks for any required field.
  await menu.getByRole("button", { name: "Snooze", exact: true }).click();
  expect(await menu.getByLabel("Until").evaluate((field) => (field as HTMLInputElement).validity.valueMissing)).toBe(true);
  await expect(agent.getByRole("alert")).toHaveCount(0);
  const nextYear = new Date().getFullYear() + 1;
  await menu.getByLabel("Until").fill(`${nextYear}-03-02T10:15`);
  await menu.getByRole("button", { name: "Snooze", exact: true }).click();
  await expect(agent.getByText(/^Snoozed until /)).toBeVisible({ timeout: 15_000 });
  // Read on the browser's clock: 10:15 there.
  const until = new Date(snoozedUntil()!);
  const local = await agent.evaluate((at) => {
    const d = new Date(at);
    return [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()];
  }, until.getTime());
  expect(local).toEqual([nextYear, 3, 2, 10, 15]);

  // The visitor writes: the conversation wakes in the same write; the visitor sees an open conversation, nothing of the snooze.
  const base = parleyUrl();
  const headers = { Authorization: `Bearer ${visit.token}` };
  const sent = await request.post(`${base}/api/conversations/${visit.conversationId}/messages`, {
    headers,
    data: { clientMessageId: `snooze-${Date.now()}`, text: "Any news on this?" },
  });
  expect(sent.status(), await sent.text()).toBe(200);
  expect(((await sent.json()) as { status: string }).status).toBe("open");
  expect(snoozedUntil()).toBeNull();
  await expect(transcript(agent)).toContainText("Snooze ended: the visitor wrote", { timeout: 15_000 });
  await expect(agent.getByText(/^Snoozed until /)).toHaveCount(0);
  const seenByVisitor = await request.get(`${base}/api/conversations/${visit.conversationId}`, { headers });
  const body = (await seenByVisitor.json()) as { conversation: { status: string }; messages: Array<{ author: string; text: string }> };
  expect(["bot", "open", "pending", "closed"]).toContain(body.conversation.status);
  expect(body.messages.map((m) => m.text).join(" ")).not.toMatch(/snooze/i);
  expect(body.messages.map((m) => m.author)).not.toContain("system");

  // Snoozed again, then ended by hand.
  await snoozeToggle(agent).click();
  // A past date left in the field does not hold up a preset.
  await agent.getByRole("form", { name: "Snooze until" }).getByRole("textbox", { name: "Until" }).fill("2020-01-01T09:00");
  await agent.getByRole("form", { name: "Snooze until" }).getByRole("button", { name: /^Next Monday 09:00/ }).click();
  await expect(agent.getByRole("button", { name: "Unsnooze" })).toBeVisible({ timeout: 15_000 });
  await agent.getByRole("button", { name: "Unsnooze" }).click();
  await expect(transcript(agent)).toContainText(/Unsnoozed by /, { timeout: 15_000 });
  await expect(agent.getByRole("button", { name: "Unsnooze" })).toHaveCount(0);
  expect(snoozedUntil()).toBeNull();
});

test("on a phone, the open Snooze menu fits the screen", async () => {
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.goto(`/inbox/${encodeURIComponent(visit.conversationId)}`);
  await snoozeToggle(agent).click();
  await expect(agent.getByRole("form", { name: "Snooze until" }).getByLabel("Until")).toBeVisible();
  expect(await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
});
