/**
 * Team hours (decision 048) on Settings → Teams: an admin gives a team of their own its own hours
 * with a closed date and sees them saved, on the page and in the list's line; bad hours are
 * named next to their field and change nothing stored; the team then follows the workspace's
 * hours — in a browser without JavaScript, as the card works without it. The team is made by the
 * spec, with a per-run stamp; the demo's teams are left alone. The workspace's own hours may be
 * changed by other specs meanwhile, so only what this team keeps is asserted exactly.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, readServerDatabase, seriousViolations, signIn } from "./helpers.js";

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;

const storedHours = (team: string) => readServerDatabase<{ hours: string | null } | undefined>("SELECT hours FROM teams WHERE name = ?", team)?.hours;

/** The seven days' times: Mon–Fri 09:00–17:00, the weekend closed. */
const fillOfficeWeek = async (page: Page) => {
  for (const day of ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) {
    const weekday = day !== "Sat" && day !== "Sun";
    await page.getByLabel(`${day} opens`, { exact: true }).fill(weekday ? "09:00" : "");
    await page.getByLabel(`${day} closes`, { exact: true }).fill(weekday ? "17:00" : "");
  }
};

// The list line and the saved notice say whether the team is open now, which depends on when this runs.
const ownLine = /^(Open now · Mon–Fri 09:00–17:00 Europe\/Berlin|Closed( for Christmas Eve)? · opens \w{3} \d{1,2} \w+ at 09:00)$/;

test("an admin gives a team its own hours with a closed date, is told what is wrong, then has it follow the workspace's hours", async ({ page, browser }) => {
  const team = `Hours team ${stamp}`;
  await signIn(page, adminEmail());
  await page.goto("/settings/teams");
  await page.getByLabel("Name").fill(team);
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByRole("heading", { level: 1, name: team })).toBeVisible();
  const card = page.getByRole("region", { name: "Hours" });
  await expect(card).toContainText("Now: No hours.");
  await expect(card.getByRole("radio", { name: /^No hours \(members' presence decides\)/ })).toBeChecked();

  // Own hours: a zone, the office week, Christmas Eve every year.
  await card.getByRole("radio", { name: /^Own hours/ }).check();
  await card.getByRole("combobox", { name: "Time zone" }).selectOption("Europe/Berlin");
  await fillOfficeWeek(page);
  await card.getByLabel("New closed date: date").fill("2026-12-24");
  await card.getByLabel("New closed date: name (optional)").fill("Christmas Eve");
  await card.getByLabel("New closed date: every year").check();
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByRole("status")).toHaveText(new RegExp(`^Hours saved: (${ownLine.source.slice(1, -1)})\\.$`));
  await expect(card.getByRole("paragraph").filter({ hasText: "Now:" }).getByRole("strong")).toHaveText(ownLine);
  expect(JSON.parse(storedHours(team) ?? "null")).toEqual({
    source: "own",
    timezone: "Europe/Berlin",
    hours: ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "17:00" })),
    closedDates: [{ date: "2026-12-24", name: "Christmas Eve", yearly: true }],
    workspaceClosedDates: false,
  });
  // As stored, after a fresh load: the date is a row of its own, and a blank one follows to add another.
  await page.reload();
  await expect(card.getByRole("radio", { name: /^Own hours/ })).toBeChecked();
  await expect(card.getByLabel("Mon opens", { exact: true })).toHaveValue("09:00");
  await expect(card.getByLabel("Sat opens", { exact: true })).toHaveValue("");
  await expect(card.getByLabel("Closed date 1: name (optional)")).toHaveValue("Christmas Eve");
  await expect(card.getByLabel("Closed date 1: every year")).toBeChecked();
  await expect(card.getByLabel("New closed date: date")).toHaveValue("");
  expect(await seriousViolations(page)).toEqual([]);

  // A range without its closing time is named at the field; nothing is stored.
  const before = storedHours(team);
  await card.getByLabel("Mon closes", { exact: true }).fill("");
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByText("Enter when the day closes, or clear both times")).toBeVisible();
  await expect(card.getByLabel("Mon closes", { exact: true })).toHaveAttribute("aria-invalid", "true");
  // What was typed stays, so it can be put right.
  await expect(card.getByLabel("Mon opens", { exact: true })).toHaveValue("09:00");
  expect(storedHours(team)).toBe(before);
  // No hours at all: own hours need at least one range.
  for (const day of ["Mon", "Tue", "Wed", "Thu", "Fri"]) {
    await card.getByLabel(`${day} opens`, { exact: true }).fill("");
    await card.getByLabel(`${day} closes`, { exact: true }).fill("");
  }
  await card.getByRole("button", { name: "Save hours" }).click();
  await expect(card.getByText("At least one range of hours")).toBeVisible();
  expect(storedHours(team)).toBe(before);

  // The list's line for the team.
  await page.goto("/settings/teams");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: team }) });
  await expect(row.getByRole("cell").nth(3)).toHaveText(ownLine);

  // Without JavaScript: follow the workspace's hours instead (shown read-only, edited on Reports).
  const plain = await browser.newContext({ javaScriptEnabled: false });
  try {
    const noJs = await plain.newPage();
    await signIn(noJs, adminEmail());
    await noJs.goto("/settings/teams");
    await noJs.getByRole("link", { name: team }).click();
    const hours = noJs.getByRole("region", { name: "Hours" });
    await hours.getByRole("radio", { name: /^The workspace's hours/ }).check();
    await expect(hours.getByRole("link", { name: "Reports page" })).toBeVisible();
    await expect(hours.getByRole("combobox", { name: "Time zone", includeHidden: true })).toBeHidden();
    await hours.getByRole("button", { name: "Save hours" }).click();
    await expect(hours.getByRole("status")).toHaveText(/^Hours saved: (No hours \(the workspace has none set\)|.+ \(the workspace's\))\.$/);
    await expect(hours.getByRole("radio", { name: /^The workspace's hours/ })).toBeChecked();
  } finally {
    await plain.close();
  }
  expect(storedHours(team)).toBe('{"source":"workspace"}');
});
