/**
 * "The team usually replies in a few minutes" (decision 050), end to end in Chromium: the admin
 * creates a live chat on a chat channel of this run's own inbox (its one member is available),
 * ticks "Show how soon the team usually replies" on the Display tab and publishes; five visitors
 * start that chat through the public API and the admin answers each in the inbox within seconds;
 * then a visitor on a page of another origin opens the widget and reads the line under the
 * heading, which also describes the chat dialog. The inbox, its member and its channel are
 * written to the database with a per-run stamp (nothing of the demo's is touched), and the flow
 * is turned off at the end.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import type { AddressInfo } from "node:net";
import { adminEmail, createLiveChat, inboxLive, ownChatChannel, parleyUrl, seriousViolations, signIn, startDemoSite, switchFlow, widget } from "./helpers.js";

test("a live chat that shows it says how soon its inbox's team usually replies, under the heading", async ({ browser, page, request }, testInfo) => {
  test.setTimeout(120_000);
  const stamp = `${Date.now()}-${testInfo.retry}`;
  const { channelId, channelName } = ownChatChannel("rt", stamp);
  const flowName = `Reply time ${stamp}`;

  // The admin creates the live chat on that channel and turns the line on.
  await signIn(page, adminEmail());
  await page.goto("/");
  const flowId = await createLiveChat(page, flowName, channelName);
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Display" }).click();
  const show = page.getByRole("checkbox", { name: "Show how soon the team usually replies" });
  await expect(show).not.toBeChecked();
  await expect(show).toHaveAccessibleDescription(/median time to a person's first reply .* last 14 days/);
  await show.check();
  expect(await seriousViolations(page)).toEqual([]);
  await expect(page.getByRole("status").filter({ hasText: /^Saved · revision \d+$/ })).toBeVisible({ timeout: 10_000 });
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByText(/^Published v1\./)).toBeVisible();
  await switchFlow(page, flowName, true);

  // Five visitors ask; the admin answers each within seconds. The widget config is not asked
  // before this (the figure is kept for minutes once read).
  const base = parleyUrl();
  for (let i = 0; i < 5; i++) {
    const made = await request.post(`${base}/api/visitors`, { data: { channel: channelId } });
    expect(made.status()).toBe(201);
    const token = ((await made.json()) as { visitorToken: string }).visitorToken;
    const started = await request.post(`${base}/api/conversations`, {
      headers: { Authorization: `Bearer ${token}` },
      data: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/" },
    });
    expect(started.status(), await started.text()).toBe(201);
    const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;
    await page.goto(`/inbox?conversation=${encodeURIComponent(conversationId)}`);
    await expect(page).toHaveURL(new RegExp(`/inbox/${conversationId}$`));
    await inboxLive(page);
    await page.getByRole("textbox", { name: "Reply to the visitor" }).fill(`Hello visitor ${i + 1}`);
    await page.getByRole("button", { name: /^send/i }).click();
    await expect(page.getByRole("log", { name: "Conversation transcript" })).toContainText(`Hello visitor ${i + 1}`);
  }

  // A visitor on a page of another origin opens the chat.
  const site = await startDemoSite(base, channelId);
  const visitorContext = await browser.newContext();
  try {
    const visitor = await visitorContext.newPage();
    await visitor.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/index.html`);
    await widget.launcher(visitor).click();
    const chat = widget.chat(visitor);
    await expect(chat.getByText("The team usually replies in a few minutes", { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(chat).toHaveAccessibleDescription("The team usually replies in a few minutes");
    // Under the heading, not in the transcript: a line of the header, above the messages.
    const line = await chat.getByText("The team usually replies in a few minutes", { exact: true }).boundingBox();
    const log = await widget.transcript(visitor).boundingBox();
    expect(line!.y + line!.height).toBeLessThanOrEqual(log!.y);
    const results = await new AxeBuilder({ page: visitor }).include("parley-widget").analyze();
    expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    await chat.screenshot({ path: testInfo.outputPath("reply-time.png") });
  } finally {
    await visitorContext.close();
    await new Promise((resolve) => site.close(resolve));
  }

  // Off again: nothing of this run is left live.
  await switchFlow(page, flowName, false);
});
