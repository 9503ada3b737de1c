/**
 * "Open today until 11:59 PM (Christmas Eve)" (decision 053), end to end in Chromium: a live chat
 * on a chat channel of this run's own inbox (its one member is available) follows a team whose
 * own hours keep today as a special day; a visitor on a page of another origin, on a UTC clock,
 * opens the widget and reads under the heading until when the chat is open, which also describes
 * the dialog. The team's special days are yesterday, today and tomorrow (UTC), 00:00–23:59, so
 * today is one whenever the spec runs. The inbox, member, channel and team are written to the
 * database with a per-run stamp (nothing of the demo's is touched); the flow is turned off at the end.
 */
import { expect, test } from "@playwright/test";
import type { AddressInfo } from "node:net";
import { encodeTeamHours } from "../../runtime/services/team-hours.js";
import { adminEmail, createLiveChat, ownChatChannel, parleyUrl, signIn, startDemoSite, switchFlow, widget, writeServerDatabase } from "./helpers.js";

const DAY = 86_400_000;

test("a live chat following a team on its special day says until when it is open today, under the heading", async ({ browser, page }, testInfo) => {
  test.setTimeout(90_000);
  const stamp = `${Date.now()}-${testInfo.retry}`;
  const { channelId, channelName } = ownChatChannel("sd", stamp);
  const teamId = `team_sd_${stamp}`;
  const teamName = `Short day desk ${stamp}`;
  const flowName = `Special day ${stamp}`;
  const now = Date.now();
  const everyDay = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const).map((day) => ({ day, from: "00:00", to: "24:00" }));
  const shortDays = [-1, 0, 1].map((d) => ({ date: new Date(now + d * DAY).toISOString().slice(0, 10), name: "Christmas Eve", yearly: false, hours: [{ from: "00:00", to: "23:59" }] }));
  writeServerDatabase(
    "INSERT INTO teams (id, name, created_at, hours) VALUES (?, ?, ?, ?)",
    teamId,
    teamName,
    now,
    encodeTeamHours({ source: "own", timezone: "UTC", hours: everyDay, closedDates: shortDays, workspaceClosedDates: false }),
  );

  // The admin creates the live chat on that channel and has it follow the team's hours.
  await signIn(page, adminEmail());
  await page.goto("/");
  await createLiveChat(page, flowName, channelName);
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await page.getByLabel("Available", { exact: true }).selectOption("team");
  await page.getByLabel("Team", { exact: true }).selectOption({ label: teamName });
  await expect(page.getByRole("status").filter({ hasText: /^Saved · revision \d+$/ })).toBeVisible({ timeout: 10_000 });
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByText(/^Published v1\./)).toBeVisible();
  await switchFlow(page, flowName, true);

  const site = await startDemoSite(parleyUrl(), channelId);
  const visitorContext = await browser.newContext({ timezoneId: "UTC", locale: "en-US" });
  try {
    const visitor = await visitorContext.newPage();
    await visitor.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/index.html`);
    await widget.launcher(visitor).click();
    const chat = widget.chat(visitor);
    const line = chat.getByText("Open today until 11:59 PM (Christmas Eve)", { exact: true });
    await expect(line).toBeVisible({ timeout: 15_000 });
    await expect(chat).toHaveAccessibleDescription("Open today until 11:59 PM (Christmas Eve)");
    // Under the heading, not in the transcript.
    const box = await line.boundingBox();
    const log = await widget.transcript(visitor).boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(log!.y);
    await chat.screenshot({ path: testInfo.outputPath("special-day.png") });
  } finally {
    await visitorContext.close();
    await new Promise((resolve) => site.close(resolve));
  }

  // Off again: nothing of this run is left live.
  await switchFlow(page, flowName, false);
});
