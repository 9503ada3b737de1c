/**
 * Settings → Audit log in real Chromium: a change an admin makes in the app (a team, stamped per
 * run) and a refused sign-in appear with who, what, the target and where from; the filters narrow
 * the list; the CSV holds the same lines; a bad filter in the address says what is wrong; other
 * roles cannot open it. The shared database holds other specs' lines too: every check looks for
 * this run's stamp, never at a fixed position in an unfiltered list.
 */
import { expect, test } from "@playwright/test";
import { adminEmail, demoUsers, seriousViolations, signIn } from "./helpers.js";

const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;

test("an admin finds who created a team and a refused sign-in in the audit log, and downloads it", async ({ page, browser }) => {
  // Someone tries an address no user has: refused, and recorded with the address tried.
  const stranger = await browser.newContext();
  const attempt = await stranger.newPage();
  await attempt.goto("/login");
  await attempt.getByLabel("Email").fill(`nobody-${stamp}@example.com`);
  await attempt.getByLabel("Password").fill("not-a-password-at-all");
  await attempt.getByRole("button", { name: "Sign in" }).click();
  await expect(attempt.getByRole("alert")).toBeVisible();
  await stranger.close();

  await signIn(page, adminEmail());
  const team = `Audit team ${stamp}`;
  await page.goto("/settings/teams");
  await page.getByLabel("Name").fill(team);
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByRole("heading", { level: 1, name: team })).toBeVisible();

  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByLabel("What").selectOption({ label: "Inboxes, teams and settings" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/category=workspace/);
  const row = page.getByRole("row").filter({ hasText: team });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole("cell").nth(1)).toHaveText("Admin");
  await expect(row.getByRole("cell").nth(2)).toContainText("Created a team");
  await expect(row.getByRole("cell").nth(2)).toContainText(`Team ${team}`);
  await expect(row.getByRole("cell").nth(4)).toContainText("the app");
  // Only that section's lines are listed.
  await expect(page.getByRole("row").filter({ hasText: "Signed in" })).toHaveCount(0);

  await page.getByLabel("Who").selectOption({ label: "Nobody signed in (Parley, the command line, refused sign-ins)" });
  await page.getByLabel("What").selectOption({ label: "Sign-in and security" });
  await page.getByRole("button", { name: "Show" }).click();
  const refused = page.getByRole("row").filter({ hasText: `nobody-${stamp}@example.com` });
  await expect(refused).toHaveCount(1);
  await expect(refused.getByRole("cell").nth(1)).toHaveText("Not signed in");
  await expect(refused.getByRole("cell").nth(2)).toContainText("Sign-in refused");
  await expect(refused.getByRole("cell").nth(3)).toContainText("reason: no such user");

  const csv = await page.request.get("/settings/audit.csv?category=workspace");
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  const text = await csv.text();
  expect(text.split("\r\n")[0]).toBe("\uFEFFTime (UTC),Who,Email,Action,What,Target,Target id,Details,From");
  expect(text).toContain(`team.created,Created a team,Team ${team}`);
  expect(text).not.toContain("session.signed_in");
});

test("an admin moves a flow and finds the move in the log, then sets how long entries are kept, and back to forever", async ({ page }) => {
  await signIn(page, adminEmail());
  // A flow of this run's own, created last in the list, moved one place up.
  const flowName = `Audit order ${stamp}`;
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(flowName);
  await page.getByLabel("Start from").selectOption("blank:bot");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);
  await page.goto("/flows");
  await page.getByRole("button", { name: `Move “${flowName}” up` }).click();
  await expect(page.getByText("Order saved")).toBeVisible();

  await page.goto("/settings/audit?category=flows");
  const moved = page.getByRole("row").filter({ hasText: `Flow ${flowName}` }).filter({ hasText: "Changed the flows' order" });
  await expect(moved).toHaveCount(1);
  await expect(moved.getByRole("cell").nth(3)).toContainText(/from place: \d+ · to place: \d+/);
  await expect(moved.getByRole("cell").nth(4)).toContainText("the app");

  const card = page.getByRole("region", { name: "Keep entries" });
  await card.getByLabel("For a number of days").check();
  await card.getByLabel("Days to keep entries").fill("3650");
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card.getByRole("status")).toHaveText("Entries are now kept for 3650 days.");
  await expect(card.getByText(/^Now kept for 3650 days\./)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Forever again (the default): nothing is deleted, and both changes are lines of the log.
  await card.getByLabel("Forever").check();
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card.getByRole("status")).toHaveText("Entries are now kept forever.");
  await page.goto("/settings/audit?category=workspace");
  const changes = page.getByRole("row").filter({ hasText: "Changed how long the audit log keeps entries" });
  await expect(changes.filter({ hasText: "from: 3650 · to: forever" }).first()).toBeVisible();
  await expect(changes.filter({ hasText: "to: 3650" }).first()).toBeVisible();
});

test("a bad filter in the address says what is wrong and lists nothing", async ({ page }) => {
  await signIn(page, adminEmail());
  const response = await page.goto("/settings/audit?from=yesterday");
  expect(response?.status()).toBe(400);
  await expect(page.getByRole("alert")).toHaveText("From: expected a date as YYYY-MM-DD");
  await expect(page.getByText("Nothing is shown until the filter is fixed.")).toBeVisible();
});

test("only admins can open the audit log", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  const response = await page.goto("/settings/audit");
  expect(response?.status()).toBe(403);
  expect((await page.request.get("/settings/audit.csv")).status()).toBe(403);
});
