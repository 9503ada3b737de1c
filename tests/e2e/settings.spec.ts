/**
 * The settings pages that share their forms (app/components/settings), as people use them in real
 * Chromium: one's own profile and an admin's page for someone else (availability, what visitors
 * see, working hours), inboxes and teams (create, a taken name, members, details), and the
 * per-inbox Routing and Email filters cards.
 *
 * Everything a later spec could notice is put back: the demo agent stays available with its
 * meeting link, and routing and filters are changed only on inboxes these tests create.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, adminPassword, demoUsers, login } from "./helpers.js";

const stamp = Date.now();

/** Serious or critical accessibility problems in the page's main content, one line each. */
const axeProblems = async (page: Page) => {
  const { violations } = await new AxeBuilder({ page }).include("#main").analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
};

/** Makes a time field accept any text, as a hand-made request could send it. */
const untypedTime = (page: Page, label: string) =>
  page.getByLabel(label).evaluate((input) => {
    (input as HTMLInputElement).type = "text";
  });

/** Creates an inbox through Settings → Inboxes and returns to nothing: the page is the new inbox's. */
const createInbox = async (page: Page, name: string) => {
  await page.goto("/settings/inboxes");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create inbox" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
};

test("a person saves their availability, what visitors see and their working hours", async ({ page }) => {
  await login(page, demoUsers.agent, adminPassword());
  await page.goto("/settings/profile");
  await expect(page.getByRole("heading", { level: 1, name: "Your profile" })).toBeVisible();
  expect(await axeProblems(page)).toEqual([]);

  const availability = page.getByRole("region", { name: "Availability" });
  await availability.getByRole("button", { name: "Set me away" }).click();
  await expect(availability.getByRole("status")).toHaveText("You are away.");
  await availability.getByRole("button", { name: "Set me available" }).click();
  await expect(availability.getByRole("status")).toHaveText("You are available.");

  const visible = page.getByRole("region", { name: "What visitors see" });
  const meeting = visible.getByLabel("Meeting link");
  const storedLink = await meeting.inputValue();
  await meeting.fill("not a link");
  await visible.getByRole("button", { name: "Save profile" }).click();
  // Refused: the field says why and keeps what was typed.
  await expect(visible.getByLabel("Meeting link")).toHaveAttribute("aria-invalid", "true");
  await expect(visible.getByLabel("Meeting link")).toHaveValue("not a link");
  await visible.getByLabel("Meeting link").fill(storedLink);
  await visible.getByRole("button", { name: "Save profile" }).click();
  await expect(visible.getByRole("status")).toHaveText("Your profile is saved.");
  await expect(visible.getByLabel("Meeting link")).not.toHaveAttribute("aria-invalid", "true");

  const hours = page.getByRole("region", { name: "Working hours" });
  await hours.getByLabel("Time zone").selectOption("Europe/Berlin");
  await hours.getByRole("checkbox", { name: "Monday", exact: true }).check();
  await hours.getByLabel("Monday from").fill("08:30");
  await hours.getByLabel("Monday until").fill("16:30");
  await hours.getByRole("button", { name: "Save working hours" }).click();
  await expect(hours.getByRole("status")).toHaveText("Your working hours are saved.");
  await page.reload();
  await expect(hours.getByLabel("Time zone")).toHaveValue("Europe/Berlin");
  await expect(hours.getByRole("checkbox", { name: "Monday", exact: true })).toBeChecked();
  await expect(hours.getByLabel("Monday from")).toHaveValue("08:30");
  await expect(hours.getByRole("checkbox", { name: "Tuesday", exact: true })).not.toBeChecked();

  // A time the browser's picker cannot make: the message names the day and the field.
  await hours.getByRole("checkbox", { name: "Thursday", exact: true }).check();
  await untypedTime(page, "Thursday until");
  await hours.getByLabel("Thursday until").fill("25:00");
  await hours.getByRole("button", { name: "Save working hours" }).click();
  await expect(hours.getByRole("alert")).toHaveText("Thursday, until: a time is HH:MM (24 h)");

  // Back to no working hours, as the demo agent started.
  await page.reload();
  await hours.getByRole("checkbox", { name: "Monday", exact: true }).uncheck();
  await hours.getByRole("button", { name: "Save working hours" }).click();
  await expect(hours.getByRole("status")).toHaveText("Your working hours are saved.");
  await expect(hours.getByRole("checkbox", { name: "Monday", exact: true })).not.toBeChecked();
});

test("an admin edits someone else's availability, profile and working hours", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  await page.goto("/settings/users");
  await page.getByRole("link", { name: "Alex Agent" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Alex Agent" })).toBeVisible();
  expect(await axeProblems(page)).toEqual([]);

  const availability = page.getByRole("region", { name: "Availability" });
  await availability.getByRole("button", { name: "Set away" }).click();
  await expect(availability.getByRole("status")).toHaveText("Alex Agent is away.");
  await availability.getByRole("button", { name: "Set available" }).click();
  await expect(availability.getByRole("status")).toHaveText("Alex Agent is available.");

  const visible = page.getByRole("region", { name: "What visitors see" });
  await visible.getByLabel("Display name").fill("Alex from Support");
  await visible.getByRole("button", { name: "Save profile" }).click();
  await expect(visible.getByRole("status")).toHaveText("Profile saved.");
  await expect(visible.getByLabel("Display name")).toHaveValue("Alex from Support");
  await visible.getByLabel("Display name").fill("");
  await visible.getByRole("button", { name: "Save profile" }).click();
  await expect(visible.getByRole("status")).toHaveText("Profile saved.");

  const hours = page.getByRole("region", { name: "Working hours" });
  await hours.getByRole("checkbox", { name: "Wednesday", exact: true }).check();
  await untypedTime(page, "Wednesday from");
  await hours.getByLabel("Wednesday from").fill("9");
  await hours.getByRole("button", { name: "Save working hours" }).click();
  await expect(hours.getByRole("alert")).toHaveText("Wednesday, from: a time is HH:MM (24 h)");
  await page.reload();
  await expect(hours.getByRole("checkbox", { name: "Wednesday", exact: true })).not.toBeChecked();

  await page.getByRole("link", { name: "← All users" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
});

test("an admin creates an inbox and a team, is told a name is taken, and chooses their members", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  await page.goto("/settings/inboxes");
  expect(await axeProblems(page)).toEqual([]);
  await page.getByLabel("Name").fill("Support");
  await page.getByRole("button", { name: "Create inbox" }).click();
  await expect(page.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("An inbox named Support already exists.")).toBeVisible();

  const inbox = `Sales ${stamp}`;
  await page.getByLabel("Name").fill(inbox);
  await page.getByLabel("Fallback email address").fill("sales@example.com");
  await page.getByRole("button", { name: "Create inbox" }).click();
  await expect(page.getByRole("heading", { level: 1, name: inbox })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText(`Created the inbox ${inbox}. Now choose who works in it.`);
  expect(await axeProblems(page)).toEqual([]);

  const members = page.getByRole("region", { name: "Members" });
  await members.getByRole("checkbox", { name: /Alex Agent/ }).check();
  await members.getByRole("button", { name: "Save members" }).click();
  await expect(members.getByRole("status")).toHaveText("Members saved.");

  const details = page.getByRole("region", { name: "Details" });
  await expect(details.getByLabel("Fallback email address")).toHaveValue("sales@example.com");
  await details.getByLabel("Fallback email address").fill("not an email");
  await details.getByRole("button", { name: "Save details" }).click();
  await expect(details.getByLabel("Fallback email address")).toHaveAttribute("aria-invalid", "true");
  await details.getByLabel("Fallback email address").fill("");
  await details.getByRole("button", { name: "Save details" }).click();
  await expect(details.getByRole("status")).toHaveText("Details saved.");

  await page.getByRole("link", { name: "← All inboxes" }).click();
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: inbox }) });
  await expect(row.getByRole("cell").nth(1)).toHaveText("Alex Agent");
  await expect(row.getByRole("cell").nth(4)).toHaveText("None");

  await page.goto("/settings/teams");
  await page.getByLabel("Name").fill("Support");
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByText("A team named Support already exists.")).toBeVisible();
  const team = `Night shift ${stamp}`;
  await page.getByLabel("Name").fill(team);
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByRole("status")).toHaveText(`Created the team ${team}. Now choose its members.`);
  await page.getByRole("checkbox", { name: /Alex Agent/ }).check();
  await page.getByRole("button", { name: "Save members" }).click();
  await expect(page.getByRole("status")).toHaveText("Members saved.");
  await page.getByRole("link", { name: "← All teams" }).click();
  const teamRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: team }) });
  await expect(teamRow.getByRole("cell")).toHaveText([team, "Alex Agent", "No inbox"]);
});

test("routing names each assignment in full, and asks who takes turns only under round-robin, keeping the answer", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  const inbox = `Turns ${stamp}`;
  await createInbox(page, inbox);

  await page.goto("/settings/routing");
  const routing = page.getByRole("region", { name: inbox });
  const mode = routing.getByLabel("Assignment");
  const pool = routing.getByLabel("Round-robin among");
  /** How many pixels of the picked option's name the closed select cuts off. */
  const cutOff = () => mode.evaluate((select: HTMLSelectElement) => select.scrollWidth - select.clientWidth);
  // A new inbox starts manual: nobody takes turns, so there is no pool to pick.
  await expect(mode).toHaveValue("manual");
  expect(await cutOff(), "the Manual option's name is cut off").toBeLessThanOrEqual(0);
  await expect(pool).toBeHidden();
  await mode.selectOption("round_robin");
  expect(await cutOff(), "the Round-robin option's name is cut off").toBeLessThanOrEqual(0);
  await expect(pool).toBeVisible();

  // The pool picked for round-robin survives a spell of manual assignment.
  const save = async () => {
    // A save that changes the routing redraws the form from what was stored; the first save's
    // notice is still up during the second, so wait for the redraw itself.
    const before = await mode.elementHandle();
    await routing.getByRole("button", { name: `Save routing of ${inbox}` }).click();
    await expect.poll(() => before!.evaluate((select) => select.isConnected)).toBe(false);
    await expect(routing.getByRole("status")).toHaveText(`Routing of ${inbox} saved.`);
  };
  await pool.selectOption({ label: "Team Support" });
  await save();
  await mode.selectOption("manual");
  await expect(pool).toBeHidden();
  await save();
  await page.reload();
  await expect(mode).toHaveValue("manual");
  await expect(pool).toBeHidden();
  await mode.selectOption("round_robin");
  await expect(pool).toBeVisible();
  await expect(pool.locator("option:checked")).toHaveText("Team Support");
  expect(await axeProblems(page)).toEqual([]);
});

test("routing and email filters save per inbox, keep a refused entry, and show what was stored", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  const inbox = `Billing ${stamp}`;
  await createInbox(page, inbox);

  await page.goto("/settings/routing");
  const routing = page.getByRole("region", { name: inbox });
  await expect(routing).toContainText("Nobody is waiting in the queue.");
  await routing.getByLabel("Assignment").selectOption("round_robin");
  await routing.getByLabel("Open conversations per agent").fill("many");
  await routing.getByRole("button", { name: `Save routing of ${inbox}` }).click();
  await expect(routing.getByLabel("Open conversations per agent")).toHaveAttribute("aria-invalid", "true");
  await expect(routing.getByLabel("Open conversations per agent")).toHaveValue("many");
  await routing.getByLabel("Open conversations per agent").fill("3");
  await routing.getByRole("button", { name: `Save routing of ${inbox}` }).click();
  await expect(routing.getByRole("status")).toHaveText(`Routing of ${inbox} saved.`);
  // Only this inbox's card answered.
  await expect(page.getByRole("region", { name: "Support", exact: true }).getByRole("status")).toHaveCount(0);
  await page.reload();
  await expect(routing.getByLabel("Assignment")).toHaveValue("round_robin");
  await expect(routing.getByLabel("Open conversations per agent")).toHaveValue("3");
  expect(await axeProblems(page)).toEqual([]);

  await page.goto("/settings/email-filters");
  const filters = page.getByRole("region", { name: inbox });
  await filters.getByLabel("Blocked senders").fill("ok@example.com\nnot-an-email");
  await filters.getByRole("button", { name: `Save filters of ${inbox}` }).click();
  await expect(filters.getByLabel("Blocked senders")).toHaveAttribute("aria-invalid", "true");
  await expect(filters.getByText(/“not-an-email”/)).toBeVisible();
  await filters.getByLabel("Blocked senders").fill("Spam@Example.com");
  await filters.getByLabel("Blocked domains").fill("Junk.Example");
  await filters.getByRole("button", { name: `Save filters of ${inbox}` }).click();
  await expect(filters.getByRole("status")).toHaveText(`Email filters of ${inbox} saved.`);
  // The form shows what was stored: lower-cased.
  await expect(filters.getByLabel("Blocked senders")).toHaveValue("spam@example.com");
  await expect(filters.getByLabel("Blocked domains")).toHaveValue("junk.example");
  expect(await axeProblems(page)).toEqual([]);
});
