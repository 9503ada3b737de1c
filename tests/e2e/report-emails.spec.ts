/**
 * Report emails (decision 056), end to end in real Chromium: the admin gives the Support inbox a
 * team email whose relay is a local smtp-server (a stand-in for the team's relay), opens the
 * team report's "Email this report", is refused an unnamed schedule without recipients (each
 * field says why, nothing is added), adds a weekly one through that channel, sees it listed, and
 * presses "Send now": the relay gets the team report with the agents' CSV, and both the schedule
 * page and the Reports page show the outcome. Names carry a per-run stamp; other specs share the
 * server, so only this run's schedule is looked at.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { startFakeRelay, type FakeRelay } from "../support/fake-relay.js";
import { addTeamEmail, adminEmail, readServerDatabase, signIn } from "./helpers.js";

const stamp = Date.now();
let relay: FakeRelay;

test.beforeAll(async () => {
  relay = await startFakeRelay();
});

test.afterAll(async () => {
  await relay.close();
});

test("an admin adds a weekly report email, is told what is missing first, and Send now mails it with the CSV", async ({ page }) => {
  const name = `Weekly support ${stamp}`;
  const channel = `Report mail ${stamp}`;
  await signIn(page, adminEmail());
  await page.goto("/");
  await addTeamEmail(page, { name: channel, inbox: "Support", address: `reports-${stamp}@acme.test`, relayPort: relay.port });

  // From the team report, with its filters.
  await page.goto("/reports/team?range=7d&inbox=inbox_support");
  await page.getByRole("link", { name: "Email this report" }).click();
  await expect(page).toHaveURL(/\/reports\/schedules\?.*inbox=inbox_support/);
  await expect(page.getByRole("heading", { name: "Report emails", level: 1 })).toBeVisible();
  const add = page.locator("section", { has: page.getByRole("heading", { name: "Email this report" }) });
  await expect(add.getByLabel("Inbox")).toHaveValue("inbox_support");

  // Nothing named, nobody chosen: each field says what is wrong, and nothing is added.
  await add.getByLabel("Name", { exact: true }).fill("");
  for (const box of await add.locator("input[name=recipients]:checked").all()) await box.uncheck();
  await add.getByRole("button", { name: "Add report email" }).click();
  await expect(add.getByText("Give the report email a name")).toBeVisible();
  await expect(add.getByText("Choose at least one person to send it to")).toBeVisible();
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM report_schedules WHERE name = ?", name).n).toBe(0);

  // A weekly one on Mondays at 07:00, to the admin, through this run's team email.
  await add.getByLabel("Name", { exact: true }).fill(name);
  await add.getByLabel("How often").selectOption("weekly");
  await add.getByLabel("On (weekly)").selectOption({ label: "Monday" });
  await add.getByLabel("Hour", { exact: true }).selectOption({ label: "07:00" });
  await add.getByRole("checkbox", { name: /Ada Admin|admin@parley\.local/ }).check();
  await add.getByLabel("Send through").selectOption({ label: channel });
  await add.getByRole("button", { name: "Add report email" }).click();
  await expect(page.getByRole("status")).toHaveText("The report email is added.");
  const summary = page.locator("summary").filter({ hasText: `${name} · ` });
  await expect(summary).toContainText("Every Monday at 07:00");
  await expect(summary).toContainText("Not sent yet");
  const listed = page.locator("details", { has: summary });

  const results = await new AxeBuilder({ page }).include("main").analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // Send now: the relay gets it, with the agents table attached.
  await summary.click();
  await listed.getByRole("button", { name: `Send now ${name}` }).click();
  await expect(page.getByRole("status")).toContainText("Sent: the report for");
  await expect.poll(() => relay.relayed.filter((r) => r.mail.subject?.startsWith(`${name}: team report`)).length, { timeout: 10_000 }).toBe(1);
  const mail = relay.relayed.find((r) => r.mail.subject?.startsWith(`${name}: team report`))!;
  expect(mail.to).toEqual(["admin@parley.local"]);
  expect(mail.mail.text).toContain("Filters: Inbox: Support");
  expect(mail.mail.attachments.map((a) => a.filename)).toEqual([expect.stringMatching(/^parley-team-agents-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/)]);
  await expect(summary).toContainText("Last: Sent");

  // The Reports page lists it with its last outcome.
  await page.goto("/reports");
  await expect(page.getByRole("row", { name: new RegExp(name) })).toContainText("Sent");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the form refuses a report email without a name on its field, then adds it", async ({ page }) => {
    const name = `No script ${stamp}`;
    await signIn(page, adminEmail());
    await page.goto("/reports/schedules");
    const add = () => page.locator("section", { has: page.getByRole("heading", { name: "Email this report" }) });
    await add().getByLabel("How often").selectOption("daily");
    await add().getByLabel("Hour", { exact: true }).selectOption({ label: "06:00" });
    await add().getByRole("button", { name: "Add report email" }).click();
    await expect(add().getByText("Give the report email a name")).toBeVisible();
    // What was chosen is still there.
    await expect(add().getByLabel("Hour", { exact: true })).toHaveValue("6");
    await add().getByLabel("Name", { exact: true }).fill(name);
    await add().getByRole("button", { name: "Add report email" }).click();
    await expect(page.getByRole("status")).toHaveText("The report email is added.");
    await expect(page.locator("summary").filter({ hasText: `${name} · ` })).toContainText("Every day at 06:00");
    expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM report_schedules WHERE name = ?", name).n).toBe(1);
  });
});
