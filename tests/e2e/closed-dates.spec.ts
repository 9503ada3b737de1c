/**
 * Closed dates (holidays) end to end, in Chromium: an admin adds one to the workspace on the
 * Reports page (a day already closed is refused, with the field named), an analyst sees the list
 * without the form, and a chatflow's Availability tab copies it in, adds today, and says it is
 * away until tomorrow. Other specs share the workspace and count business hours now, so the
 * workspace date is one far in the future, unique to this run, and removed at the end.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, demoUsers, readServerDatabase, seriousViolations, signIn } from "./helpers.js";

const stamp = Date.now();
// A day in the 2090s of this run's own (nothing of the other specs lies there).
const future = new Date(Date.UTC(2090, 0, 1) + (stamp % 3650) * 86_400_000).toISOString().slice(0, 10);
const holiday = `Holiday ${stamp}`;

const closedSection = (page: Page) => page.getByRole("region", { name: "Closed dates" });

test.describe.configure({ mode: "serial" });

test("an admin adds a workspace closed date, a second one on the same day is refused, and an analyst only reads the list", async ({ page, browser }, testInfo) => {
  await signIn(page, adminEmail());
  await page.goto("/reports");
  const section = closedSection(page);
  await section.getByLabel("Date", { exact: true }).fill(future);
  await section.getByLabel("Name (optional)").fill(holiday);
  await section.getByRole("button", { name: "Add closed date" }).click();
  const row = section.getByRole("row").filter({ hasText: holiday });
  await expect(row).toHaveCount(1);
  await expect(section.getByRole("status")).toHaveText(/^Added \w{3} \d+ \w+ 209\d\.$/);

  // The same day again: refused on the date field, and the list keeps one row.
  await section.getByLabel("Date", { exact: true }).fill(future);
  await section.getByRole("button", { name: "Add closed date" }).click();
  await expect(section.getByText(`${future} is already closed (${holiday}).`)).toBeVisible();
  await expect(section.getByLabel("Date", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(section.getByRole("row").filter({ hasText: holiday })).toHaveCount(1);
  await section.screenshot({ path: testInfo.outputPath("workspace-closed-dates.png") });
  expect(await seriousViolations(page)).toEqual([]);

  const analyst = await (await browser.newContext()).newPage();
  await signIn(analyst, demoUsers.analyst);
  await analyst.goto("/reports");
  await expect(closedSection(analyst).getByRole("row").filter({ hasText: holiday })).toHaveCount(1);
  await expect(closedSection(analyst).getByRole("button", { name: "Add closed date" })).toHaveCount(0);
  await expect(closedSection(analyst).getByRole("button", { name: /^Remove/ })).toHaveCount(0);
});

test("a chatflow copies the workspace's closed dates, adds today, and is away until tomorrow; the dates survive a reload", async ({ page }, testInfo) => {
  await signIn(page, adminEmail());
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(`Holiday hours ${stamp}`);
  await page.getByLabel("Start from").selectOption("blank:bot");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);
  const flowId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  /** The availability of the draft as the server has saved it (autosave runs a moment after an edit). */
  const savedAvailability = () =>
    readServerDatabase<{ draft: string }>("SELECT draft FROM chatflows WHERE id = ?", flowId).draft.match(/"availability":\{.*?"closedDates":\[.*?\].*?\}/)?.[0] ?? "";
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await page.getByLabel("Available", { exact: true }).selectOption("business_hours");
  // Open every day, all day but the last minute: only a closed date makes it away now.
  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await page.getByRole("checkbox", { name: `Open on ${day}` }).check();
    await page.getByLabel(`${day} hours 1 from`).fill("00:00");
    await page.getByLabel(`${day} hours 1 to`).fill("23:59");
  }
  await expect(page.getByText("No closed dates.")).toBeVisible();
  await page.getByRole("button", { name: /^Add the workspace's closed dates \(\d+\)$/ }).click();
  const dates = page.getByRole("group", { name: "Closed dates (UTC)" });
  const copied = dates.getByRole("listitem").filter({ has: page.locator(`input[value="${future}"]`) });
  await expect(copied).toHaveCount(1);
  await expect(copied.getByRole("textbox", { name: /Name$/ })).toHaveValue(holiday);
  await expect(page.getByRole("button", { name: /^Add the workspace's closed dates/ })).toHaveCount(0);

  // Today (the flow's clock is UTC, as the browser's ISO date is).
  await dates.getByRole("button", { name: "Add a closed date" }).click();
  const today = new Date().toISOString().slice(0, 10);
  await expect(dates.getByRole("listitem").filter({ has: page.locator(`input[value="${today}"]`) })).toHaveCount(1);
  await expect(page.getByRole("status").filter({ hasText: /^Away right now; opens again / })).toBeVisible();
  // Checking a moment names the reason: today is a closed date; the same time tomorrow is open.
  const moment = page.getByLabel("Check a moment (UTC)");
  const check = page.getByRole("status", { name: "Moment check" });
  await moment.fill(`${today}T10:00`);
  await expect(check).toHaveText(/^Away: \w{3} \d+ \w+ \d{4} is a closed date\.$/);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await moment.fill(`${tomorrow}T10:00`);
  await expect(check).toHaveText("Open: inside the business hours.");
  // The tab with its dates, the moment box and its answer passes axe.
  expect(await seriousViolations(page)).toEqual([]);
  // Saved, with both dates, before the reload.
  await expect.poll(savedAvailability, { timeout: 10_000 }).toMatch(new RegExp(`${future}.*${today}`));
  const listed = await dates.getByRole("listitem").count();
  await dates.screenshot({ path: testInfo.outputPath("flow-closed-dates.png") });

  await page.reload();
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  const again = page.getByRole("group", { name: "Closed dates (UTC)" });
  await expect(again.getByRole("listitem")).toHaveCount(listed);
  await expect(again.getByRole("listitem").filter({ has: page.locator(`input[value="${today}"]`) })).toHaveCount(1);
  const todayRow = again.getByRole("listitem").filter({ has: page.locator(`input[value="${today}"]`) });
  await todayRow.getByRole("button", { name: /^Remove closed date \d+$/ }).click();
  await expect(again.getByRole("listitem")).toHaveCount(listed - 1);

  // Following the workspace's list instead: kept up to date, so nothing to copy; it survives a reload.
  const follow = again.getByRole("checkbox", { name: /^Also closed on the workspace's closed dates/ });
  await follow.check();
  await expect(again.getByRole("button", { name: /^Add the workspace's closed dates/ })).toHaveCount(0);
  await expect.poll(savedAvailability, { timeout: 10_000 }).toContain('"workspaceClosedDates":true');
  await page.reload();
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await expect(page.getByRole("group", { name: "Closed dates (UTC)" }).getByRole("checkbox", { name: /^Also closed on the workspace's closed dates/ })).toBeChecked();
});

test("the admin removes the workspace closed date", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/reports");
  const section = closedSection(page);
  const row = section.getByRole("row").filter({ hasText: holiday });
  await row.getByRole("button", { name: /^Remove / }).click();
  await expect(section.getByRole("status")).toContainText(/^Removed /);
  await expect(section.getByRole("row").filter({ hasText: holiday })).toHaveCount(0);
});

test("an admin adds a region's public holidays of a year in one step, then removes them again", async ({ page }, testInfo) => {
  await signIn(page, adminEmail());
  await page.goto("/reports");
  const form = page.getByRole("form", { name: "Add a country's public holidays" });
  await form.getByLabel("Country").selectOption("DE");
  // The regions come when a country is chosen.
  await expect(form.getByLabel("Region").locator("option[value='BY']")).toHaveCount(1);
  await form.getByLabel("Region").selectOption("BY");
  // Two years ahead: no other spec counts business hours there.
  const years = await form.getByLabel("Year").locator("option").allTextContents();
  const year = years[2]!;
  await form.getByLabel("Year").selectOption(year);
  await form.getByRole("button", { name: "Add public holidays" }).click();
  await expect(form.getByRole("status")).toHaveText(new RegExp(`^Added \\d+ public holidays? of ${year}(; .*)?\\.$`));
  const section = closedSection(page);
  const ofYear = section.getByRole("row").filter({ has: page.getByRole("cell", { name: new RegExp(` ${year}$`) }) });
  await expect(section.getByRole("row").filter({ hasText: "Corpus Christi" })).toHaveCount(1);
  const added = await ofYear.count();
  await section.screenshot({ path: testInfo.outputPath("public-holidays.png") });
  expect(added).toBeGreaterThanOrEqual(12);

  // The same again adds nothing.
  await form.getByLabel("Country").selectOption("DE");
  await expect(form.getByLabel("Region").locator("option[value='BY']")).toHaveCount(1);
  await form.getByLabel("Region").selectOption("BY");
  await form.getByLabel("Year").selectOption(year);
  await form.getByRole("button", { name: "Add public holidays" }).click();
  await expect(form.getByRole("status")).toHaveText(`Added 0 public holidays of ${year}; ${added} were on days already closed.`);

  for (let left = added; left > 0; left--) {
    await ofYear.first().getByRole("button", { name: /^Remove / }).click();
    await expect(ofYear).toHaveCount(left - 1);
  }
});

