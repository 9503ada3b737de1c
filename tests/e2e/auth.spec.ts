import { expect, test } from "@playwright/test";
import { adminEmail, adminPassword, demoUsers, getChatChannelId, login, loginApi } from "./helpers.js";

test("the admin signs in and sees the whole shell", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  await expect(page).toHaveURL(/\/flows$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const label of ["Flows", "Inbox", "Tickets", "Contacts", "Reports", "Settings"]) {
    await expect(nav.getByRole("link", { name: label })).toBeVisible();
  }
  await expect(page.getByRole("heading", { level: 1, name: "Flows" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();

  await nav.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(page.getByRole("cell", { name: adminEmail() })).toBeVisible();
});

test("logging out ends the session", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.goto("/flows");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fflows$/);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  // The sign-in card is the page's main landmark, where a screen reader's "skip to main" lands.
  await expect(page.getByRole("main").getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.getByLabel("Email").fill(adminEmail());
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/flows");
  await expect(page).toHaveURL(/\/login\?redirectTo=/);
});

test("a signed-out visit to /inbox goes to the login page, and back after signing in", async ({ page }) => {
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Finbox$/);
  await page.getByLabel("Email").fill(demoUsers.agent);
  await page.getByLabel("Password").fill(adminPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
});

test("an agent sees only the inbox and cannot open user settings (403)", async ({ page }) => {
  await login(page, demoUsers.agent, adminPassword());
  await expect(page).toHaveURL(/\/inbox$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link")).toHaveText(["Inbox", "Tickets", "Contacts", "Lists", "Knowledge"]);
  await nav.getByRole("link", { name: "Tickets" }).click();
  await expect(page).toHaveURL(/\/tickets$/);
  await expect(page.getByRole("heading", { level: 1, name: "Tickets" })).toBeVisible();

  const response = await page.goto("/settings/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You don’t have access to this page" })).toBeVisible();
  await expect(page.getByText("Error 403")).toBeVisible();
  await expect(page.getByRole("alert")).toHaveText("Your role (agent) cannot open this page.");
  // The refused page offers the way back to where the agent was, not only the start page.
  await page.getByRole("button", { name: "Go back" }).click();
  await expect(page).toHaveURL(/\/tickets$/);
  expect((await page.request.get("/settings/channels.json", { maxRedirects: 0 })).status()).toBe(403);
});

test("an admin creates a user who can then sign in", async ({ page, browser }) => {
  const email = `analyst-${Date.now()}@example.com`;
  await login(page, adminEmail(), adminPassword());
  await page.goto("/settings/users");
  await page.getByLabel("Name").fill("Ana Analyst");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role").selectOption("analyst");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText("A password has at least 8 characters")).toBeVisible();

  await page.getByLabel("Password").fill("analyst-password");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("status")).toHaveText(`Created Ana Analyst (${email}).`);
  await expect(page.getByRole("cell", { name: email })).toBeVisible();

  const other = await browser.newPage();
  await login(other, email, "analyst-password");
  await expect(other).toHaveURL(/\/reports$/);
  await expect(other.getByRole("navigation", { name: "Main" }).getByRole("link")).toHaveText(["Reports", "Knowledge"]);
  await other.close();
});

test("a mutation without the CSRF token is refused", async ({ page }) => {
  await login(page, adminEmail(), adminPassword());
  // page.request shares the browser's cookies: the session is valid, only the token is missing.
  const email = `csrf-${Date.now()}@example.com`;
  const form = { name: "Mallory", email, role: "admin", password: "mallory-password" };
  const missing = await page.request.post("/settings/users", { form, maxRedirects: 0 });
  expect(missing.status()).toBe(403);
  const wrong = await page.request.post("/settings/users", { form: { ...form, csrf: "forged" }, maxRedirects: 0 });
  expect(wrong.status()).toBe(403);
  const logout = await page.request.post("/logout", { form: {}, maxRedirects: 0 });
  expect(logout.status()).toBe(403);

  await page.goto("/settings/users");
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(page.getByRole("cell", { name: email })).toHaveCount(0);
});

test("the login form refuses a post without its double-submit token", async ({ request }) => {
  const response = await request.post("/login", {
    form: { email: adminEmail(), password: adminPassword() },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(403);
  expect(response.headers()["set-cookie"] ?? "").not.toContain("parley_session=");
  // With the token from the form, the same credentials work.
  await loginApi(request, adminEmail(), adminPassword());
  const channels = await request.get("/settings/channels.json");
  expect(channels.status()).toBe(200);
  expect(Array.isArray(((await channels.json()) as { channels: unknown }).channels)).toBe(true);
});

test("admins can read the seeded chat channel's id for widget specs", async ({ request }) => {
  expect(await getChatChannelId(request)).toMatch(/\S+/);
});

test("a sign-in form whose token cookie went missing asks once more, then works", async ({ page, context }) => {
  await page.goto("/login");
  await context.clearCookies();
  await page.getByLabel("Email").fill(adminEmail());
  await page.getByLabel("Password").fill(adminPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("This sign-in form has expired. Please sign in again.");
  await page.getByLabel("Password").fill(adminPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/flows$/);
});
