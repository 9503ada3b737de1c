/**
 * A chatflow that follows a team's hours (decision 048), end to end in Chromium: the marketer
 * chooses "Follow a team's hours" on the Availability tab, is told to pick a team, picks one,
 * sees its hours in one line with a link to where they are edited, checks a moment, publishes,
 * and the flow list says the flow is away because of the team's closed date. The team and the
 * flow are this run's own (a stamp in their names); the team's hours are written to the
 * database as the team settings page stores them, and the flow is turned off at the end.
 */
import { expect, test } from "@playwright/test";
import { encodeTeamHours } from "../../runtime/services/team-hours.js";
import { adminEmail, seriousViolations, signIn, writeServerDatabase } from "./helpers.js";

const DAY = 86_400_000;

test("a chatflow follows a team's hours: the team is chosen in the builder, its closed date makes the live flow away", async ({ page }, testInfo) => {
  const stamp = `${Date.now()}-${testInfo.retry}`;
  const teamId = `team_e2e_${stamp}`;
  const teamName = `Night desk ${stamp}`;
  const flowName = `Follows the night desk ${stamp}`;
  // Open all day every day in UTC, but closed yesterday, today and tomorrow: away now, whenever the spec runs.
  const days = [-1, 0, 1].map((d) => new Date(Date.now() + d * DAY).toISOString().slice(0, 10));
  const everyDay = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const).map((day) => ({ day, from: "00:00", to: "24:00" }));
  writeServerDatabase(
    "INSERT INTO teams (id, name, created_at, hours) VALUES (?, ?, ?, ?)",
    teamId,
    teamName,
    Date.now(),
    encodeTeamHours({ source: "own", timezone: "UTC", hours: everyDay, closedDates: days.map((date) => ({ date, name: "Stocktake", yearly: false })), workspaceClosedDates: false }),
  );

  await signIn(page, adminEmail());
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(flowName);
  await page.getByLabel("Start from").selectOption("blank:bot");
  // No channel: the flow never shows in another spec's widget.
  await page.getByLabel("Channel").first().selectOption("");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);

  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("tab", { name: "Availability" }).click();
  await page.getByLabel("Available", { exact: true }).selectOption("team");
  const team = page.getByLabel("Team", { exact: true });
  // No team yet: said at the field, and the flow's own time zone is not asked for.
  await expect(team).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Choose the team whose hours the chat keeps")).toBeVisible();
  await expect(page.getByLabel("Time zone")).toHaveCount(0);
  const problems = page.getByRole("tab", { name: "Availability" }).getByLabel("1 problem");
  await expect(problems).toBeVisible();

  await team.selectOption({ label: teamName });
  await expect(team).not.toHaveAttribute("aria-invalid", "true");
  await expect(problems).toHaveCount(0);
  await expect(page.getByText(`${teamName}: Mon–Sun 00:00–24:00 (UTC); 3 closed dates.`)).toBeVisible();
  await expect(page.getByRole("link", { name: "Edit the team's hours" })).toHaveAttribute("href", `/settings/teams/${teamId}`);
  await expect(page.getByRole("status").filter({ hasText: /^Away right now; opens again / })).toBeVisible();
  const moment = page.getByLabel("Check a moment (UTC)");
  const check = page.getByRole("status", { name: "Moment check" });
  await moment.fill(`${days[1]}T10:00`);
  await expect(check).toHaveText(new RegExp(`^Away: \\w{3} \\d+ \\w+ \\d{4} is a closed date \\(Stocktake\\) of team ${teamName}\\.$`));
  const after = new Date(Date.parse(days[2]!) + DAY).toISOString().slice(0, 10);
  await moment.fill(`${after}T10:00`);
  await expect(check).toHaveText(`Open: inside the hours of team ${teamName}.`);
  // The away message still applies.
  await expect(page.getByLabel("Away behaviour")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole("region", { name: "When the team answers" }).screenshot({ path: testInfo.outputPath("follow-team.png") });

  await expect(page.getByRole("status").filter({ hasText: /^Saved · revision \d+$/ })).toBeVisible({ timeout: 10_000 });
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByText(/^Published v1\./)).toBeVisible();

  await page.goto("/flows");
  const row = page.getByRole("row", { name: flowName });
  await row.getByRole("switch", { name: `“${flowName}” on` }).click();
  const reopens = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "long" }).format(Date.parse(after));
  await expect(page.getByRole("row", { name: flowName })).toContainText(`Away now: closed date (Stocktake) of team ${teamName}; opens again ${reopens} at 00:00 (UTC).`);

  // Off again: nothing of this run is left live.
  await page.getByRole("row", { name: flowName }).getByRole("switch", { name: `“${flowName}” on` }).click();
  await expect(page.getByRole("row", { name: flowName }).getByRole("switch", { name: `“${flowName}” on` })).toHaveAttribute("aria-checked", "false");
});
