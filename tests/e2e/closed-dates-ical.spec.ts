/**
 * Closed dates from a calendar file, end to end in Chromium (decision 052): an admin uploads an
 * .ics file on the Reports page, sees what would be added and what is left out (a timed
 * meeting), adds the dates, finds them in the list and in the Download .ics file; a file that is
 * no calendar is refused at the file field; a team with its own hours takes the same file into
 * its closed dates, and a chatflow's Availability tab previews them (a day it already closes left
 * out) and adds them to its draft as one undo step. Other specs share the workspace's list, so the dates
 * are in the 2150s, unique to this run, named with its stamp, and removed at the end.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, createTeam, demoUsers, seriousViolations, signIn } from "./helpers.js";

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
  await signIn(page, adminEmail());
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
  await signIn(page, adminEmail());
  await page.goto("/");
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

test("a chatflow's Availability tab previews a calendar file, adds its dates to the draft as one undo step, and refuses bad files and URLs at their field", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  // Whoever may edit flows imports: a marketer.
  await signIn(page, demoUsers.marketer);
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(`Calendar hours ${stamp}`);
  await page.getByLabel("Start from").selectOption("blank:bot");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await page.getByLabel("Available", { exact: true }).selectOption("business_hours");
  const dates = page.getByRole("group", { name: /^Closed dates/ });
  const row = (offset: number) => dates.getByRole("listitem").filter({ has: page.locator(`input[value="${day(offset)}"]`) });

  // A day the flow already closes: the preview leaves it out, saying so.
  const bridge = `Bridge ${stamp}`;
  await dates.getByRole("button", { name: "Add a closed date" }).click();
  await dates.getByLabel("Closed date 1 Date", { exact: true }).fill(day(1));
  await dates.getByLabel("Closed date 1 Name", { exact: true }).fill(bridge);

  await dates.getByRole("button", { name: "Import from a calendar" }).click();
  const importer = dates.getByRole("region", { name: "Import from a calendar" });
  const file = importer.getByLabel("Calendar file (.ics)");
  const url = importer.getByLabel("or its URL");
  const preview = importer.getByRole("button", { name: "Preview dates" });

  // Bad inputs, each at its field; nothing is added.
  await preview.click();
  await expect(file).toHaveAttribute("aria-invalid", "true");
  await expect(importer.getByText("Choose an .ics file, or enter a calendar URL below")).toBeVisible();
  await file.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a calendar") });
  await preview.click();
  await expect(importer.getByText("This is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR")).toBeVisible();
  await expect(file).toHaveAttribute("aria-invalid", "true");
  await file.setInputFiles({ name: "big.ics", mimeType: "text/calendar", buffer: Buffer.alloc(1024 * 1024 + 1, "x") });
  await preview.click();
  await expect(importer.getByText("The file is over 1 MB, the most a calendar import reads")).toBeVisible();
  await file.setInputFiles([]);
  await url.fill("ftp://calendar.example.com/holidays.ics");
  await preview.click();
  await expect(importer.getByText("The calendar could not be fetched: only http and https URLs can be called, not ftp:")).toBeVisible();
  await expect(url).toHaveAttribute("aria-invalid", "true");
  await expect(url).toBeFocused();
  await expect(file).not.toHaveAttribute("aria-invalid", "true");
  await url.fill("");
  await expect(dates.getByRole("listitem")).toHaveCount(1);

  // The calendar file: previewed, not yet added.
  await file.setInputFiles({ name: fileName, mimeType: "text/calendar", buffer: Buffer.from(calendar) });
  await preview.click();
  const previewed = importer.getByRole("region", { name: `From ${fileName}` });
  const toAdd = previewed.getByRole("table", { name: "2 dates to add" });
  await expect(toAdd.getByRole("row").filter({ hasText: offsite })).toHaveCount(1);
  await expect(toAdd.getByRole("row").filter({ hasText: founding })).toHaveCount(1);
  await expect(previewed.getByRole("listitem").filter({ hasText: meeting })).toHaveText(/: a timed event: only whole-day events are closed dates$/);
  await expect(previewed.getByRole("listitem").filter({ hasText: `already closed (${bridge})` })).toHaveCount(1);
  await expect(row(0)).toHaveCount(0);
  await importer.screenshot({ path: testInfo.outputPath("builder-calendar-preview.png") });
  expect(await seriousViolations(page)).toEqual([]);

  await previewed.getByRole("button", { name: "Add 2 dates" }).click();
  await expect(dates.getByRole("status").filter({ hasText: `Added 2 dates from ${fileName}.` })).toBeVisible();
  await expect(row(0).getByRole("textbox", { name: /Name$/ })).toHaveValue(offsite);
  await expect(row(5).getByRole("textbox", { name: /Name$/ })).toHaveValue(founding);
  await expect(row(1).getByRole("textbox", { name: /Name$/ })).toHaveValue(bridge);
  await expect(dates.getByRole("listitem")).toHaveCount(3);

  // One edit in the draft's history: Undo on the canvas takes both dates away, Redo brings them back.
  await page.getByRole("tab", { name: "Canvas" }).click();
  await page.getByRole("toolbar", { name: "Canvas tools" }).getByRole("button", { name: "Undo" }).click();
  await page.getByRole("tab", { name: "Settings" }).click();
  await expect(dates.getByRole("listitem")).toHaveCount(1);
  await expect(row(1)).toHaveCount(1);
  await page.getByRole("tab", { name: "Canvas" }).click();
  await page.getByRole("toolbar", { name: "Canvas tools" }).getByRole("button", { name: "Redo" }).click();
  await page.getByRole("tab", { name: "Settings" }).click();
  await expect(dates.getByRole("listitem")).toHaveCount(3);

  // Saved with the draft.
  await expect(page.getByRole("status").filter({ hasText: /^Saved · revision \d+$/ })).toBeVisible({ timeout: 10_000 });
  await page.reload();
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await expect(row(0).getByRole("textbox", { name: /Name$/ })).toHaveValue(offsite);
  await expect(row(5).getByRole("textbox", { name: /Name$/ })).toHaveValue(founding);
});
