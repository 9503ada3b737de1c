/**
 * The settings pages that share their forms (app/components/settings), as people use them in real
 * Chromium: one's own profile and an admin's page for someone else (availability, what visitors
 * see, working hours), inboxes and teams (create, a taken name, members, details), and the
 * per-inbox Routing and Email filters cards; passwords (one's own, and an admin's reset) and
 * disabling a user.
 *
 * Everything a later spec could notice is put back: the demo agent stays available with its
 * meeting link, and routing and filters are changed only on inboxes these tests create.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { adminEmail, demoUsers, getChatChannelId, inboxLive, login, parleyUrl, signIn } from "./helpers.js";

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
  await signIn(page, demoUsers.agent);
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
  await signIn(page, adminEmail());
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
  await signIn(page, adminEmail());
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
  // A one-time notice: the address carries no flag, and a reload does not show it again.
  expect(new URL(page.url()).search).toBe("");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: inbox })).toBeVisible();
  await expect(page.getByText("Created the inbox")).toHaveCount(0);

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
  expect(new URL(page.url()).search).toBe("");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: team })).toBeVisible();
  await expect(page.getByText("Created the team")).toHaveCount(0);
  await page.getByRole("checkbox", { name: /Alex Agent/ }).check();
  await page.getByRole("button", { name: "Save members" }).click();
  await expect(page.getByRole("status")).toHaveText("Members saved.");
  await page.getByRole("link", { name: "← All teams" }).click();
  const teamRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: team }) });
  await expect(teamRow.getByRole("cell")).toHaveText([team, "Alex Agent", "No inbox", "No hours"]);
});

test("routing names each assignment in full, and asks who takes turns only under round-robin, keeping the answer", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/");
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
  await signIn(page, adminEmail());
  await page.goto("/");
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

/** As the admin on Settings → Users: creates someone with `password` and returns their page's path. */
const createUser = async (page: Page, name: string, email: string, password: string, role = "agent") => {
  await page.goto("/settings/users");
  const form = page.getByRole("region", { name: "Create a user" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption(role);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Created ${name}` })).toBeVisible();
  return (await page.getByRole("link", { name, exact: true }).getAttribute("href"))!;
};

/** A page of its own (own cookies) for someone else signing in. */
const personPage = async (browser: Browser) => (await browser.newContext({ baseURL: parleyUrl() })).newPage();

/** Tries to sign in and expects the usual refusal, staying on the login page. */
const expectLoginRefused = async (page: Page, email: string, password: string) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await expect(page).toHaveURL(/\/login/);
};

/** A visitor through the public chat API, handed by the support bot to the Support inbox; returns the conversation id. */
const visitorAsksForAPerson = async (request: APIRequestContext, text: string): Promise<string> => {
  const channel = await getChatChannelId(request);
  const pageUrl = "https://shop.example/help/orders";
  const made = await request.post("/api/visitors", { data: { channel, pageUrl } });
  expect(made.status()).toBe(201);
  const headers = { Authorization: `Bearer ${((await made.json()) as { visitorToken: string }).visitorToken}` };
  const started = await request.post("/api/conversations", { headers, data: { channel, chatflowId: "flow_support_triage", pageUrl } });
  expect(started.status(), await started.text()).toBe(201);
  const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;
  const send = (body: Record<string, unknown>) =>
    request.post(`/api/conversations/${conversationId}/messages`, { headers, data: { clientMessageId: `m-${Math.random()}`, ...body } });
  expect((await send({ choice: "talk_to_person" })).status()).toBe(200);
  expect((await send({ text })).status()).toBe(200);
  return conversationId;
};

test("a person changes their password: refusals say why and change nothing, then only the new one signs in", async ({ page, browser }) => {
  const email = `pat-${stamp}@example.com`;
  await signIn(page, adminEmail());
  await page.goto("/");
  await createUser(page, "Pat Password", email, "first-password-1");

  const pat = await personPage(browser);
  await login(pat, email, "first-password-1");
  const elsewhere = await personPage(browser);
  await login(elsewhere, email, "first-password-1");
  await pat.goto("/settings/profile");
  expect(await axeProblems(pat)).toEqual([]);
  const card = pat.getByRole("region", { name: "Password" });
  const change = async (current: string, next: string, confirm: string) => {
    await card.getByLabel("Current password").fill(current);
    await card.getByLabel("New password", { exact: true }).fill(next);
    await card.getByLabel("Confirm the new password").fill(confirm);
    await card.getByRole("button", { name: "Change password" }).click();
  };

  await change("not-my-password", "second-password-2", "second-password-2");
  await expect(card.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  await expect(card.getByText("This is not your current password")).toBeVisible();
  await change("first-password-1", "second-password-2", "second-password-3");
  await expect(card.getByText("The two new passwords differ")).toBeVisible();
  await change("first-password-1", "short", "short");
  await expect(card.getByText("A password has at least 8 characters")).toBeVisible();
  // Nothing changed: the other session is alive (and the old password still works below).
  await elsewhere.goto("/settings/profile");
  await expect(elsewhere.getByRole("heading", { level: 1, name: "Your profile" })).toBeVisible();

  await change("first-password-1", "second-password-2", "second-password-2");
  await expect(card.getByRole("status")).toHaveText("Your password is changed. Signed out 1 other session.");
  await pat.reload();
  await expect(pat.getByRole("heading", { level: 1, name: "Your profile" })).toBeVisible();
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/login/);

  await expectLoginRefused(elsewhere, email, "first-password-1");
  await login(elsewhere, email, "second-password-2");
  await pat.context().close();
  await elsewhere.context().close();
});

test("an admin resets an agent's password, disables them (refused at login, their conversation back in Unassigned) and enables them", async ({
  page,
  browser,
}) => {
  const email = `lee-${stamp}@example.com`;
  await signIn(page, adminEmail());
  await page.goto("/");
  const userPath = await createUser(page, "Lee Leaver", email, "lee-password-1");
  await page.goto("/settings/inboxes/inbox_support");
  await page.getByRole("checkbox", { name: /Lee Leaver/ }).check();
  await page.getByRole("button", { name: "Save members" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Members saved" })).toBeVisible();

  const lee = await personPage(browser);
  await login(lee, email, "lee-password-1");
  const conversationId = await visitorAsksForAPerson(page.request, `Where is my order ${stamp}?`);
  await page.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  // The pick is sent by the page's script: before it has hydrated, a change sends nothing.
  await inboxLive(page);
  const assignee = page.getByRole("form", { name: "Assignment" }).getByLabel("Assignee");
  await assignee.selectOption({ label: "Lee Leaver" });
  // The pick is sent in the background: what the server stored shows after a reload once it landed.
  await expect(async () => {
    await page.reload();
    await expect(assignee.locator("option:checked")).toHaveText("Lee Leaver", { timeout: 1000 });
  }).toPass({ timeout: 15_000 });

  // A new password: a short one is refused and changes nothing; then Lee's session ends.
  await page.goto(userPath);
  expect(await axeProblems(page)).toEqual([]);
  const password = page.getByRole("region", { name: "Password" });
  await password.getByLabel("New password").fill("short");
  await password.getByRole("button", { name: "Set a new password" }).click();
  await expect(password.getByText("A password has at least 8 characters")).toBeVisible();
  await lee.reload();
  await expect(lee).not.toHaveURL(/\/login/);
  await password.getByLabel("New password").fill("temporary-pass-1");
  await password.getByRole("button", { name: "Set a new password" }).click();
  await expect(password.getByRole("status")).toHaveText("Lee Leaver has a new password. Signed out 1 session.");
  await lee.reload();
  await expect(lee).toHaveURL(/\/login/);
  await expectLoginRefused(lee, email, "lee-password-1");
  await login(lee, email, "temporary-pass-1");

  const access = page.getByRole("region", { name: "Access" });
  await access.getByRole("button", { name: "Disable Lee Leaver" }).click();
  await expect(access.getByRole("status")).toHaveText(
    "Lee Leaver is disabled. Signed out 1 session; 1 conversation they held went back to their inbox's routing.",
  );
  await expect(page.getByRole("heading", { level: 1, name: "Lee Leaver" })).toBeVisible();
  await expect(page.locator("header").getByText("Disabled", { exact: true })).toBeVisible();

  // Signed out at once, and refused with the message anyone with a wrong password gets.
  await lee.reload();
  await expect(lee).toHaveURL(/\/login/);
  await expectLoginRefused(lee, email, "temporary-pass-1");

  // The conversation waits in Unassigned, and Lee is no longer someone to give it to.
  await page.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  await expect(assignee.locator("option:checked")).toHaveText("Unassigned");
  await expect(assignee.locator("option", { hasText: "Lee Leaver" })).toHaveCount(0);
  await page.goto("/inbox?view=unassigned");
  const unassigned = page.getByRole("list", { name: "Unassigned conversations" }).getByRole("link");
  await expect.poll(() => unassigned.evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""))).toContainEqual(
    expect.stringContaining(conversationId),
  );

  // Listed and marked, and hidden on request; still a member of Support, marked too.
  await page.goto("/settings/users");
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row.getByText("Disabled", { exact: true }).first()).toBeVisible();
  await page.getByRole("link", { name: "Hide disabled users" }).click();
  await expect(page.getByRole("row").filter({ hasText: email })).toHaveCount(0);
  await page.getByRole("link", { name: "Show disabled users" }).click();
  await expect(page.getByRole("row").filter({ hasText: email })).toHaveCount(1);
  await page.goto("/settings/inboxes/inbox_support");
  await expect(page.getByRole("checkbox", { name: /Lee Leaver.*Disabled/ })).toBeChecked();

  await page.goto(userPath);
  await access.getByRole("button", { name: "Enable Lee Leaver" }).click();
  await expect(access.getByRole("status")).toHaveText("Lee Leaver is enabled and can sign in again.");
  await login(lee, email, "temporary-pass-1");
  await lee.context().close();

  // Put back: the conversation closed, so later specs see Support's Unassigned as it was.
  await page.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  await page.getByRole("button", { name: "Close conversation" }).click();
  await expect(page.getByRole("button", { name: "Reopen" })).toBeVisible();
});

test("the last admin can neither disable themselves nor be demoted", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/settings/users");
  const adminRow = page.getByRole("row").filter({ hasText: adminEmail() });
  const adminPath = (await adminRow.getByRole("link").first().getAttribute("href"))!;

  await adminRow.getByLabel(/^Access of /).selectOption("agent");
  await adminRow.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByRole("alert")).toHaveText("The workspace needs at least one admin.");
  await page.reload();
  await expect(page.getByRole("row").filter({ hasText: adminEmail() }).getByRole("combobox")).toHaveValue("admin");

  await page.goto(adminPath);
  const access = page.getByRole("region", { name: "Access" });
  await expect(access).toContainText("You cannot disable yourself; another admin can.");
  await expect(access.getByRole("button")).toHaveCount(0);
  // A hand-made request is refused too, and changes nothing.
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  const forged = await page.request.post(adminPath, { form: { intent: "disable", csrf }, maxRedirects: 0 });
  expect(forged.status()).toBe(409);
  expect(await forged.text()).toContain("You cannot disable yourself; ask another admin.");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.locator("header").getByText("Disabled", { exact: true })).toHaveCount(0);
  await page.goto("/settings/users");
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
});

test("the Users list fits a laptop screen: no column sticks out of its card", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, adminEmail());
  await page.goto("/");
  // A long address without a place to break (as the suite's own users have) must wrap, not widen the table.
  await createUser(page, "Wes Wide", `wes.wide-with-a-rather-long-address-${stamp}@subsidiary.example-company.com`, "wes-password-1");
  await page.goto("/settings/users");
  const card = page.getByRole("region", { name: /^Team/ });
  const table = card.getByRole("table");
  await expect(table.getByRole("columnheader", { name: "Two-factor" })).toBeVisible();
  const [cardBox, tableBox] = [await card.boundingBox(), await table.boundingBox()];
  expect(tableBox!.x + tableBox!.width).toBeLessThanOrEqual(cardBox!.x + cardBox!.width);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
});
