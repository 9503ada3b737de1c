/**
 * Personal access tokens in real Chromium: an agent creates a token on Settings → Profile, sees
 * it once (a reload shows only its prefix), uses it with a plain HTTP client on GET /api/v1/me,
 * revokes it on the page, and the same request is refused with 401. Then an admin sees and
 * revokes another of the agent's tokens on Settings → Users → the agent.
 */
import { expect, test } from "@playwright/test";
import { adminEmail, demoUsers, seriousViolations, signIn } from "./helpers.js";

test("an agent creates a token, sees it once, uses it, and revokes it", async ({ page, request }) => {
  await signIn(page, demoUsers.agent);
  await page.goto("/settings/profile");
  const section = page.getByRole("region", { name: "API tokens" });
  await section.getByLabel("Name").fill("CRM sync");
  await section.getByLabel("Expires").selectOption("30");
  await section.getByRole("button", { name: "Create token" }).click();

  const shown = section.getByLabel("New API token");
  await expect(shown).toHaveText(/^pat_[A-Za-z0-9_-]{43}$/);
  const token = (await shown.textContent())!;
  await expect(section.getByRole("button", { name: "Copy token" })).toBeVisible();
  const row = section.getByRole("row", { name: /CRM sync/ });
  await expect(row).toContainText(`${token.slice(0, 12)}…`);
  await expect(row.getByRole("cell", { name: "Never" })).toBeVisible(); // not used yet
  expect(await seriousViolations(page)).toEqual([]);

  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).user).toMatchObject({ email: demoUsers.agent, role: "agent" });

  // Shown once: after a reload only the prefix is on the page, and the last use is listed.
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(section.getByRole("row", { name: /CRM sync/ }).getByRole("cell", { name: "Never" })).toHaveCount(0);

  await section.getByRole("button", { name: "Revoke the token CRM sync" }).click();
  await expect(section.getByRole("status")).toContainText("The token is revoked");
  await expect(section.getByRole("row", { name: /CRM sync/ })).toHaveCount(0);
  const after = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
  expect(after.headers()["www-authenticate"]).toMatch(/^Bearer/);
});

test("an admin revokes a user's token on their page", async ({ browser, request }) => {
  const agentPage = await browser.newPage();
  await signIn(agentPage, demoUsers.agent);
  await agentPage.goto("/settings/profile");
  const section = agentPage.getByRole("region", { name: "API tokens" });
  await section.getByLabel("Name").fill("Helpdesk bridge");
  await section.getByRole("button", { name: "Create token" }).click();
  const token = (await section.getByLabel("New API token").textContent())!;
  await agentPage.close();

  const adminPage = await browser.newPage();
  await signIn(adminPage, adminEmail());
  await adminPage.goto("/settings/users/user_agent");
  const adminSection = adminPage.getByRole("region", { name: "API tokens" });
  await expect(adminSection.getByRole("button", { name: "Create token" })).toHaveCount(0);
  await adminSection.getByRole("button", { name: "Revoke the token Helpdesk bridge" }).click();
  await expect(adminSection.getByRole("status")).toContainText("The token is revoked");
  expect((await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(401);
  await adminPage.close();
});
