/**
 * Special hours on a date (decision 051) end to end, in Chromium: a chatflow's Availability tab
 * gives a closed date "Open from 09:00 to 13:00", Check a moment says open inside those hours and
 * away outside them (naming the special day and the next opening), a range that ends before it
 * starts is marked on its field, emptying the times closes the whole day again, and the hours
 * survive a reload. On the Reports page an admin adds a workspace special day (a half-filled pair
 * is refused on its empty field) and removes it again. Other specs share the workspace and count
 * business hours now, so the dates lie far in the future, unique to this run, and the workspace's
 * is removed at the end.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, createTeam, readServerDatabase, seriousViolations, signIn } from "./helpers.js";

const stamp = Date.now();
// A day in the 2080s of this run's own (closed-dates.spec.ts keeps to the 2090s).
const future = new Date(Date.UTC(2080, 0, 1) + (stamp % 3650) * 86_400_000).toISOString().slice(0, 10);
const name = `Short day ${stamp}`;
const longDate = (iso: string): string => {
  const at = Date.parse(`${iso}T00:00:00Z`);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "long", year: "numeric" }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`;
};

test.describe.configure({ mode: "serial" });

const openAvailability = async (page: Page) => {
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
};

test("a chatflow's closed date keeps special hours: open inside them, away outside, closed all day without them", async ({ page }, testInfo) => {
  await signIn(page, adminEmail());
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(`Special hours ${stamp}`);
  await page.getByLabel("Start from").selectOption("blank:bot");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);
  const flowId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  /** The draft's closed dates as the server has saved them (autosave runs a moment after an edit). */
  const savedDates = () => JSON.parse(readServerDatabase<{ draft: string }>("SELECT draft FROM chatflows WHERE id = ?", flowId).draft).settings?.availability?.closedDates ?? [];
  await openAvailability(page);
  await page.getByLabel("Available", { exact: true }).selectOption("business_hours");
  // Open every day, all day but the last minute: only the special day's hours can make it away.
  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await page.getByRole("checkbox", { name: `Open on ${day}` }).check();
    await page.getByLabel(`${day} hours 1 from`).fill("00:00");
    await page.getByLabel(`${day} hours 1 to`).fill("23:59");
  }
  const dates = page.getByRole("group", { name: "Closed dates (UTC)" });
  await dates.getByRole("button", { name: "Add a closed date" }).click();
  // The date rows (the problems under them are list items too); the one just added is the last.
  const last = dates.getByRole("listitem").filter({ has: page.getByRole("button", { name: /^Remove closed date \d+$/ }) }).last();
  const remove = (await last.getByRole("button", { name: /^Remove closed date \d+$/ }).getAttribute("aria-label"))!;
  const label = remove.replace("Remove closed date", "Closed date");
  const row = dates.getByRole("listitem").filter({ has: page.getByRole("button", { name: remove, exact: true }) });
  await row.getByLabel(`${label} Date`).fill(future);
  await row.getByLabel(`${label} Name`).fill(name);
  await row.getByLabel(`${label} Open from`).fill("09:00");
  // A closing time before the opening one is refused on its field (a special day cannot run past midnight).
  await row.getByLabel(`${label} open to`).fill("08:00");
  await expect(row.getByLabel(`${label} open to`)).toHaveAttribute("aria-invalid", "true");
  await expect(dates.getByText("the closing time must be after 09:00 (a special day ends at 24:00)")).toBeVisible();
  await row.getByLabel(`${label} open to`).fill("13:00");
  await expect(row.getByLabel(`${label} open to`)).not.toHaveAttribute("aria-invalid");

  const moment = page.getByLabel("Check a moment (UTC)");
  const check = page.getByRole("status", { name: "Moment check" });
  await moment.fill(`${future}T10:00`);
  await expect(check).toHaveText(`Open: ${longDate(future)} keeps special hours (${name}), open 09:00–13:00.`);
  await moment.fill(`${future}T14:00`);
  const nextDay = new Date(Date.parse(`${future}T00:00:00Z`) + 86_400_000);
  const opens = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(nextDay);
  await expect(check).toHaveText(`Away: ${longDate(future)} keeps special hours (${name}), open 09:00–13:00; opens again ${opens} (UTC).`);
  // The day before keeps the weekly hours.
  const dayBefore = new Date(Date.parse(`${future}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  await moment.fill(`${dayBefore}T14:00`);
  await expect(check).toHaveText("Open: inside the business hours.");
  expect(await seriousViolations(page)).toEqual([]);
  await expect.poll(savedDates, { timeout: 10_000 }).toContainEqual({ date: future, name, yearly: false, hours: [{ from: "09:00", to: "13:00" }] });
  await dates.screenshot({ path: testInfo.outputPath("flow-special-hours.png") });

  await page.reload();
  await openAvailability(page);
  const again = page.getByRole("group", { name: "Closed dates (UTC)" }).getByRole("listitem").filter({ has: page.locator(`input[value="${future}"]`) });
  await expect(again.getByLabel(`${label} Open from`)).toHaveValue("09:00");
  await expect(again.getByLabel(`${label} open to`)).toHaveValue("13:00");
  // Emptying both times closes the whole day again.
  await again.getByLabel(`${label} Open from`).fill("");
  await again.getByLabel(`${label} open to`).fill("");
  await page.getByLabel("Check a moment (UTC)").fill(`${future}T10:00`);
  await expect(page.getByRole("status", { name: "Moment check" })).toHaveText(`Away: ${longDate(future)} is a closed date (${name}).`);
  await expect.poll(savedDates, { timeout: 10_000 }).toContainEqual({ date: future, name, yearly: false });
});

test("an admin adds a workspace special day on the Reports page, a half-filled one is refused, and removes it", async ({ page }, testInfo) => {
  await signIn(page, adminEmail());
  await page.goto("/reports");
  const section = page.getByRole("region", { name: "Closed dates" });
  await section.getByLabel("Date", { exact: true }).fill(future);
  await section.getByLabel("Name (optional)").fill(name);
  await section.getByLabel("Open from").fill("09:00");
  await section.getByRole("button", { name: "Add closed date" }).click();
  await expect(section.getByText("enter when the day closes, or clear both times")).toBeVisible();
  await expect(section.getByLabel("to", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(section.getByRole("row").filter({ hasText: name })).toHaveCount(0);

  await section.getByLabel("Date", { exact: true }).fill(future);
  await section.getByLabel("Name (optional)").fill(name);
  await section.getByLabel("Open from").fill("09:00");
  await section.getByLabel("to", { exact: true }).fill("13:00");
  await section.getByRole("button", { name: "Add closed date" }).click();
  const row = section.getByRole("row").filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(`${longDate(future)} · open 09:00–13:00`);
  await section.screenshot({ path: testInfo.outputPath("workspace-special-hours.png") });
  expect(await seriousViolations(page)).toEqual([]);

  await row.getByRole("button", { name: /^Remove / }).click();
  await expect(section.getByRole("status")).toContainText(/^Removed /);
  await expect(section.getByRole("row").filter({ hasText: name })).toHaveCount(0);
});

test("a team's own hours keep a special day from the Hours card, a half-filled pair is named at its field, and the hours survive a reload", async ({ page }) => {
  const team = `Special team ${stamp}`;
  const storedHours = () => JSON.parse(readServerDatabase<{ hours: string | null } | undefined>("SELECT hours FROM teams WHERE name = ?", team)?.hours ?? "null");
  await signIn(page, adminEmail());
  await page.goto("/");
  await createTeam(page, team);
  const card = page.getByRole("region", { name: "Hours" });
  await card.getByRole("radio", { name: /^Own hours/ }).check();
  await card.getByRole("combobox", { name: "Time zone" }).selectOption("Europe/Berlin");
  await card.getByLabel("Mon opens", { exact: true }).fill("09:00");
  await card.getByLabel("Mon closes", { exact: true }).fill("17:00");
  await card.getByLabel("New closed date: date").fill(future);
  await card.getByLabel("New closed date: name (optional)").fill(name);
  await card.getByLabel("New closed date: open from").fill("10:00");
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByText("enter when the day closes, or clear both times")).toBeVisible();
  await expect(card.getByLabel("Closed date 1: open until")).toHaveAttribute("aria-invalid", "true");
  expect(storedHours()).toBeNull();

  // 00:00 as the closing time is midnight.
  await card.getByLabel("Closed date 1: open until").fill("00:00");
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByRole("status")).toContainText("Hours saved");
  expect(storedHours().closedDates).toEqual([{ date: future, name, yearly: false, hours: [{ from: "10:00", to: "24:00" }] }]);
  await page.reload();
  await expect(card.getByLabel("Closed date 1: open from")).toHaveValue("10:00");
  await expect(card.getByLabel("Closed date 1: open until")).toHaveValue("00:00");
  expect(await seriousViolations(page)).toEqual([]);
});
