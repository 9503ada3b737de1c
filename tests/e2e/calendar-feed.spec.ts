/**
 * The calendar feed, end to end in Chromium (decision 052): an admin creates (or, when a run
 * before left it on, resets) the feed link on the Reports page, and a calendar app — a request
 * with no session — reads the closed dates from the URL shown; a team with its own hours shows
 * its own feed URL on its Hours card, with its own closed date in it; Reset link stops the old
 * URL; Turn off stops every URL. The feed is the workspace's one setting, so the test only
 * asserts through the URLs it is shown, and the team and its date carry this run's stamp.
 */
import { expect, request as playwrightRequest, test, type APIRequestContext } from "@playwright/test";
import { adminEmail, createTeam, parleyUrl, seriousViolations, signIn } from "./helpers.js";

const stamp = Date.now();
const day = new Date(Date.UTC(2160, 0, 1) + (stamp % 3000) * 86_400_000).toISOString().slice(0, 10);
const teamDay = `Feed day ${stamp}`;

let calendarApp: APIRequestContext;
test.beforeAll(async () => {
  // A calendar app: no cookies, no token, only the URL.
  calendarApp = await playwrightRequest.newContext({ baseURL: parleyUrl() });
});
test.afterAll(async () => {
  await calendarApp?.dispose();
});

test("an admin creates the calendar feed link, a calendar app reads it without signing in, a reset stops the old link and Turn off stops all", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/");
  const team = `Feed team ${stamp}`;
  await createTeam(page, team);
  const card = page.getByRole("region", { name: "Hours" });
  await card.getByRole("radio", { name: /^Own hours/ }).check();
  await card.getByLabel("Mon opens", { exact: true }).fill("09:00");
  await card.getByLabel("Mon closes", { exact: true }).fill("17:00");
  await card.getByLabel("New closed date: date").fill(day);
  await card.getByLabel("New closed date: name (optional)").fill(teamDay);
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByRole("status")).toHaveText(/^Hours saved: /);
  const teamPath = new URL(page.url()).pathname;

  await page.goto("/reports");
  const section = page.getByRole("region", { name: "Closed dates" });
  // A retry (or a run before) may have left it on: then this run's link is a new one all the same.
  const create = section.getByRole("button", { name: "Create link" });
  if (await create.isVisible()) {
    await create.click();
    await expect(section.getByRole("status").filter({ hasText: "Calendar feed link created." })).toBeVisible();
  } else await section.getByRole("button", { name: "Reset link" }).click();
  const urlField = section.getByLabel("Calendar feed URL");
  await expect(urlField).toHaveValue(/\/calendar\/[A-Za-z0-9_-]{43}\/closed-dates\.ics$/);
  const first = await urlField.inputValue();
  await expect(section.getByRole("button", { name: "Copy", exact: true })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  const feed = await calendarApp.get(first);
  expect(feed.status()).toBe(200);
  expect(feed.headers()["content-type"]).toBe("text/calendar; charset=utf-8");
  expect(feed.headers()["cache-control"]).toBe("private, max-age=300");
  expect(await feed.text()).toMatch(/^BEGIN:VCALENDAR\r\n[\s\S]*X-WR-CALNAME:Closed dates\r\n/);

  // The team's card shows its own feed URL, with its own closed date in it.
  await page.goto(teamPath);
  const teamUrl = await page.getByLabel("Team calendar feed URL").inputValue();
  expect(teamUrl).toBe(first.replace(/closed-dates\.ics$/, `teams/${teamPath.split("/").at(-1)}.ics`));
  const teamFeed = await calendarApp.get(teamUrl);
  expect(teamFeed.status()).toBe(200);
  const teamText = await teamFeed.text();
  expect(teamText).toContain(`DTSTART;VALUE=DATE:${day.replaceAll("-", "")}\r\n`);
  expect(teamText).toContain(`SUMMARY:${teamDay}\r\n`);

  // Reset: the old links stop working, the new one works.
  await page.goto("/reports");
  await section.getByRole("button", { name: "Reset link" }).click();
  await expect(section.getByRole("status").filter({ hasText: "New calendar feed link made: the old one no longer works." })).toBeVisible();
  await expect(urlField).not.toHaveValue(first);
  const second = await urlField.inputValue();
  expect((await calendarApp.get(first)).status()).toBe(404);
  expect((await calendarApp.get(teamUrl)).status()).toBe(404);
  expect((await calendarApp.get(second)).status()).toBe(200);

  // Turn off: no link on the page, the last one answers 404, the team card shows none.
  await section.getByRole("button", { name: "Turn off" }).click();
  await expect(section.getByRole("status").filter({ hasText: "Calendar feed turned off: its links no longer work." })).toBeVisible();
  await expect(section.getByText("The calendar feed is off.")).toBeVisible();
  await expect(urlField).toHaveCount(0);
  const off = await calendarApp.get(second);
  expect([off.status(), await off.text()]).toEqual([404, "Not found\n"]);
  await page.goto(teamPath);
  await expect(page.getByRole("heading", { level: 1, name: team })).toBeVisible();
  await expect(page.getByLabel("Team calendar feed URL")).toHaveCount(0);
});
