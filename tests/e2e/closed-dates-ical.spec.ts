/**
 * Closed dates from a calendar file, end to end in Chromium (decision 052): an admin uploads an
 * .ics file on the Reports page, sees what would be added and what is left out (a timed
 * meeting), adds the dates, finds them in the list and in the Download .ics file; a file that is
 * no calendar is refused at the file field; a team with its own hours takes the same file into
 * its closed dates, and a chatflow's Availability tab fills them into its editor. Other specs share the workspace's list, so the dates
 * are in the 2150s, unique to this run, named with its stamp, and removed at the end.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, adminPassword, createTeam, login, seriousViolations } from "./helpers.js";

const stamp = Date.now();
const day = (offset: number) => new Date(Date.UTC(2150, 0, 1) + ((stamp % 3000) + offset) * 86_400_000).toISOString().slice(0, 10);
const compact = (date: string) => date.replaceAll("-", "");
const offsite = `Offsite ${stamp}`;
const founding = `Founding ${stamp}`;
const meeting = `Meeting ${stamp}`;
const calendar = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//Parley e2e//EN",
  "BEGIN:VEVENT",
  `UID:offsite-${stamp}@example.com`,
  `DTSTART;VALUE=DATE:${compact(day(0))}`,
  `DTEND;VALUE=DATE:${compact(day(2))}`,
  `SUMMARY:${offsite}`,
  "END:VEVENT",
  "BEGIN:VEVENT",
  `UID:founding-${stamp}@example.com`,
  `DTSTART;VALUE=DATE:${compact(day(5))}`,
  `SUMMARY:${founding}`,
  "END:VEVENT",
  "BEGIN:VEVENT",
  `UID:meeting-${stamp}@example.com`,
  `DTSTART:${compact(day(6))}T090000Z`,
  `DTEND:${compact(day(6))}T100000Z`,
  `SUMMARY:${meeting}`,
  "END:VEVENT",
  "END:VCALENDAR",
  "",
].join("\r\n");
const fileName = `holidays-${stamp}.ics`;

const closedSection = (page: Page) => page.getByRole("region", { name: "Closed dates" });
const ours = (page: Page) => closedSection(page).getByRole("table", { name: "Closed dates" }).getByRole("row").filter({ hasText: String(stamp) });

test("an admin previews a calendar file, adds its whole-day dates, and finds them in the list and the .ics download; a file that is no calendar is refused", async ({ page }, testInfo) => {
  await login(page, adminEmail(), adminPassword());
  await page.goto("/reports");
  const section = closedSection(page);

  // Not a calendar: refused at the file field, nothing previewed.
  await section.getByLabel("Calendar file (.ics)").setInputFiles({ name: "contacts.csv", mimeType: "text/csv", buffer: Buffer.from("Name,Date\nChristmas,2150-12-25\n") });
  await section.getByRole("button", { name: "Preview dates" }).click();
  await expect(section.getByText("This is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR")).toBeVisible();
  await expect(section.getByLabel("Calendar file (.ics)")).toHaveAttribute("aria-invalid", "true");

  await section.getByLabel("Calendar file (.ics)").setInputFiles({ name: fileName, mimeType: "text/calendar", buffer: Buffer.from(calendar) });
  await section.getByRole("button", { name: "Preview dates" }).click();
  const preview = section.getByRole("region", { name: `From ${fileName}` });
  const toAdd = preview.getByRole("table", { name: "3 dates to add" });
  await expect(toAdd.getByRole("row").filter({ hasText: offsite })).toHaveCount(2);
  await expect(toAdd.getByRole("row").filter({ hasText: founding })).toHaveCount(1);
  await expect(preview.getByRole("listitem").filter({ hasText: meeting })).toHaveText(/: a timed event: only whole-day events are closed dates$/);
  // Previewed, not added.
  await expect(ours(page)).toHaveCount(0);
  await section.screenshot({ path: testInfo.outputPath("calendar-preview.png") });
  expect(await seriousViolations(page)).toEqual([]);

  await preview.getByRole("button", { name: "Add 3 dates" }).click();
  await expect(section.getByRole("status").filter({ hasText: `Added 3 closed dates from ${fileName}.` })).toBeVisible();
  await expect(ours(page).filter({ hasText: offsite })).toHaveCount(2);
  await expect(ours(page).filter({ hasText: founding })).toHaveCount(1);

  const download = await page.request.get("/reports/closed-dates.ics");
  expect(download.headers()["content-type"]).toBe("text/calendar; charset=utf-8");
  const text = await download.text();
  expect(text).toContain(`DTSTART;VALUE=DATE:${compact(day(5))}\r\nDTEND;VALUE=DATE:${compact(day(6))}\r\n`);
  expect(text).toContain(`SUMMARY:${founding}\r\n`);
  await expect(section.getByRole("link", { name: "Download .ics" })).toHaveAttribute("href", "/reports/closed-dates.ics");

  // Leave the shared list as it was.
  for (let left = 3; left > 0; left--) {
    await ours(page).first().getByRole("button", { name: /^Remove/ }).click();
    await expect(ours(page)).toHaveCount(left - 1);
  }
});

test("a team with its own hours takes a calendar's whole-day dates into its closed dates, after a preview", async ({ page }) => {
  const team = `Calendar team ${stamp}`;
  await login(page, adminEmail(), adminPassword());
  await createTeam(page, team);
  const card = page.getByRole("region", { name: "Hours" });
  // No own hours yet: nothing to import into.
  await expect(card.getByRole("button", { name: "Preview dates" })).toHaveCount(0);
  await card.getByRole("radio", { name: /^Own hours/ }).check();
  await card.getByLabel("Mon opens", { exact: true }).fill("09:00");
  await card.getByLabel("Mon closes", { exact: true }).fill("17:00");
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByRole("status")).toHaveText(/^Hours saved: /);

  await card.getByLabel("Calendar file (.ics)").setInputFiles({ name: fileName, mimeType: "text/calendar", buffer: Buffer.from(calendar) });
  await card.getByRole("button", { name: "Preview dates" }).click();
  const preview = card.getByRole("region", { name: `From ${fileName}` });
  await expect(preview.getByRole("table", { name: "3 dates to add" }).getByRole("row").filter({ hasText: String(stamp) })).toHaveCount(3);
  await expect(card.getByLabel("Closed date 1: name (optional)")).toHaveCount(0);
  await preview.getByRole("button", { name: "Add 3 dates" }).click();
  await expect(card.getByRole("status").filter({ hasText: `Added 3 closed dates from ${fileName}.` })).toBeVisible();
  await expect(card.getByLabel("Closed date 1: date")).toHaveValue(day(0));
  await expect(card.getByLabel("Closed date 2: name (optional)")).toHaveValue(offsite);
  await expect(card.getByLabel("Closed date 3: name (optional)")).toHaveValue(founding);
});

test("a chatflow's Availability tab fills a calendar file's whole-day dates into its closed dates", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(`Calendar hours ${stamp}`);
  await page.getByLabel("Start from").selectOption("blank:bot");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await page.getByLabel("Available", { exact: true }).selectOption("business_hours");
  const dates = page.getByRole("group", { name: /^Closed dates/ });

  await dates.getByLabel("Import from a calendar (.ics)").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a calendar") });
  await expect(dates.getByRole("alert")).toHaveText("notes.txt: this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR");
  await expect(dates.getByText("No closed dates.")).toBeVisible();

  await dates.getByLabel("Import from a calendar (.ics)").setInputFiles({ name: fileName, mimeType: "text/calendar", buffer: Buffer.from(calendar) });
  await expect(dates.getByRole("status")).toHaveText(`Added 3 dates from ${fileName}. 1 left out (${meeting}: a timed event: only whole-day events are closed dates).`);
  for (const [offset, name] of [[0, offsite], [1, offsite], [5, founding]] as const) {
    const row = dates.getByRole("listitem").filter({ has: page.locator(`input[value="${day(offset)}"]`) });
    await expect(row.getByRole("textbox", { name: /Name$/ })).toHaveValue(name);
  }
});
