/**
 * Following a calendar URL, end to end in Chromium (decision 057): an admin subscribes the
 * workspace's closed dates to a calendar served by a real HTTP server on this machine (the
 * company calendar's side), sees its dates in the list and the "Last synced" line; the served
 * calendar changes (an event renamed, one added), Sync now brings the change; unsubscribing with
 * "Remove its dates" takes only its dates away. A URL that gives no calendar is refused at the
 * field. A team that keeps its own hours follows one on its Hours card, and keeps the dates when
 * unsubscribed. Other specs share the workspace's list, so the dates are in the 2160s, unique to this
 * run and named with its stamp.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, createTeam, seriousViolations, signIn } from "./helpers.js";
import { startCalendarHost, wholeDayCalendar, type CalendarHost } from "../support/ics.js";

const stamp = Date.now();
const day = (offset: number) => new Date(Date.UTC(2160, 0, 1) + ((stamp % 3000) + offset) * 86_400_000).toISOString().slice(0, 10);
const ics = (...events: Array<{ date: string; name: string }>) => wholeDayCalendar(events, `e2e-${stamp}`);

let host: CalendarHost;
let calendarUrl = "";
let notCalendarUrl = "";
let served = "";

test.beforeAll(async () => {
  host = await startCalendarHost((req, res) => {
    if (req.url === `/company-${stamp}.ics`) return void res.writeHead(200, { "content-type": "text/calendar" }).end(served);
    if (req.url === "/sign-in.html") return void res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>Sign in</p>");
    res.writeHead(404).end();
  });
  const base = host.base;
  calendarUrl = `${base}/company-${stamp}.ics`;
  notCalendarUrl = `${base}/sign-in.html`;
});

test.afterAll(async () => {
  await host.close();
});

const closedSection = (page: Page) => page.getByRole("region", { name: "Closed dates" });
const ours = (page: Page) => closedSection(page).getByRole("table", { name: "Closed dates" }).getByRole("row").filter({ hasText: String(stamp) });

test("an admin subscribes the closed dates to a calendar URL, syncs after it changed, and unsubscribes removing its dates", async ({ page }, testInfo) => {
  const summit = `Summit ${stamp}`;
  const founding = `Founding ${stamp}`;
  served = ics({ date: day(0), name: summit }, { date: day(3), name: founding });
  await signIn(page, adminEmail());
  await page.goto("/reports");
  const panel = closedSection(page).getByRole("region", { name: "Follow a calendar" });

  // A page that is no calendar: refused at the field, nothing followed.
  await panel.getByLabel("Calendar URL to follow").fill(notCalendarUrl);
  await panel.getByRole("button", { name: "Subscribe" }).click();
  await expect(panel.getByText("this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR")).toBeVisible();
  await expect(panel.getByLabel("Calendar URL to follow")).toHaveAttribute("aria-invalid", "true");
  await expect(panel.getByText(notCalendarUrl)).toHaveCount(0);

  await panel.getByLabel("Calendar URL to follow").fill(calendarUrl);
  await panel.getByRole("button", { name: "Subscribe" }).click();
  await expect(panel.getByRole("status")).toHaveText("Subscribed. 2 closed dates added.");
  await expect(ours(page).filter({ hasText: summit })).toHaveCount(1);
  await expect(ours(page).filter({ hasText: founding })).toHaveCount(1);
  const item = panel.getByRole("listitem").filter({ hasText: calendarUrl });
  await expect(item).toContainText(/Last synced \d{4}-\d\d-\d\d \d\d:\d\d · next \d{4}-\d\d-\d\d \d\d:\d\d · 2 closed dates from it/);
  await panel.screenshot({ path: testInfo.outputPath("calendar-subscription.png") });
  expect(await seriousViolations(page)).toEqual([]);

  // The calendar renames the summit and adds a day: Sync now follows.
  const renamed = `Summit (moved online) ${stamp}`;
  const added = `Inventory ${stamp}`;
  served = ics({ date: day(0), name: renamed }, { date: day(3), name: founding }, { date: day(7), name: added });
  await item.getByRole("button", { name: `Sync now: ${calendarUrl}` }).click();
  await expect(panel.getByRole("status")).toHaveText("Closed dates: 1 added, 1 renamed.");
  await expect(ours(page).filter({ hasText: renamed })).toHaveCount(1);
  await expect(ours(page).filter({ hasText: added })).toHaveCount(1);
  await expect(ours(page)).toHaveCount(3);
  await expect(item).toContainText("3 closed dates from it");

  await item.getByLabel(`When unsubscribing from ${calendarUrl}`).selectOption("Remove its dates");
  await item.getByRole("button", { name: `Unsubscribe: ${calendarUrl}` }).click();
  await expect(panel.getByRole("status")).toHaveText("Unsubscribed; 3 closed dates removed.");
  await expect(ours(page)).toHaveCount(0);
  await expect(panel.getByRole("listitem").filter({ hasText: calendarUrl })).toHaveCount(0);
});

test("a team that keeps its own hours follows a calendar on its Hours card; unsubscribing can keep the dates", async ({ page }) => {
  const team = `Following team ${stamp}`;
  const offsite = `Team offsite ${stamp}`;
  served = ics({ date: day(20), name: offsite });
  await signIn(page, adminEmail());
  await page.goto("/");
  await createTeam(page, team);
  const card = page.getByRole("region", { name: "Hours" });
  // No own hours: nothing of its own to follow into.
  await expect(card.getByRole("region", { name: "Follow a calendar" })).toHaveCount(0);
  await card.getByRole("radio", { name: /^Own hours/ }).check();
  await card.getByLabel("Mon opens", { exact: true }).fill("09:00");
  await card.getByLabel("Mon closes", { exact: true }).fill("17:00");
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByRole("status")).toHaveText(/^Hours saved: /);

  const panel = card.getByRole("region", { name: "Follow a calendar" });
  await panel.getByLabel("Calendar URL to follow").fill(calendarUrl);
  await panel.getByRole("button", { name: "Subscribe" }).click();
  await expect(panel.getByRole("status")).toHaveText("Subscribed. 1 closed date added.");
  await expect(card.getByLabel("Closed date 1: date")).toHaveValue(day(20));
  await expect(card.getByLabel("Closed date 1: name (optional)")).toHaveValue(offsite);
  await expect(panel.getByRole("listitem").filter({ hasText: calendarUrl })).toContainText("Last synced");

  const item = panel.getByRole("listitem").filter({ hasText: calendarUrl });
  await item.getByRole("button", { name: `Unsubscribe: ${calendarUrl}` }).click();
  await expect(panel.getByRole("status")).toHaveText("Unsubscribed; its closed dates were kept.");
  await expect(card.getByLabel("Closed date 1: name (optional)")).toHaveValue(offsite);
});
