/**
 * Language routing (decision 055) in real Chromium: a new agent, named with this run's stamp,
 * lists the languages they answer in on Settings → Profile — a code that names no language is
 * refused at the field and nothing is stored — and finds them kept after a reload; an admin sees
 * them in Settings → Users and changes them on the agent's page; and an inbox created by this run
 * keeps "Prefer agents who speak the visitor's language" on Settings → Routing.
 */
import { expect, test, type BrowserContext } from "@playwright/test";
import { adminEmail, createInboxWithMembers, login, parleyUrl, seriousViolations, signIn } from "./helpers.js";

const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;

test("an agent lists their languages on their profile, an admin sees and changes them, and an inbox prefers the visitor's language", async ({
  page,
  browser,
}) => {
  const contexts: BrowserContext[] = [];
  const name = `Lena Lang ${stamp}`;
  const email = `lena-${stamp}@example.com`;
  await signIn(page, adminEmail());
  await page.goto("/settings/users");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role").selectOption("agent");
  await page.getByLabel("Password").fill("lena-password");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("status")).toHaveText(`Created ${name} (${email}).`);

  try {
    const context = await browser.newContext({ baseURL: parleyUrl() });
    contexts.push(context);
    const agent = await context.newPage();
    await login(agent, email, "lena-password");
    await agent.goto("/settings/profile");
    const card = agent.getByRole("region", { name: "Languages you answer in" });
    const field = card.getByLabel("Languages");
    await expect(field).toHaveValue("");
    await expect(card.getByText("No languages set.")).toBeVisible();

    // A code that names no language: refused at the field, what was typed kept, nothing stored.
    await field.fill("de, xx");
    await card.getByRole("button", { name: "Save languages" }).click();
    await expect(card.getByText('"xx" is not a language we know')).toBeVisible();
    await expect(field).toHaveValue("de, xx");
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await agent.reload();
    await expect(field).toHaveValue("");

    await field.fill("DE en");
    await card.getByRole("button", { name: "Save languages" }).click();
    await expect(card.getByRole("status")).toHaveText("Your languages are saved.");
    await agent.reload();
    await expect(field).toHaveValue("de, en");
    await expect(card.getByText("Answers in German (de), English (en).")).toBeVisible();
    expect(await seriousViolations(agent)).toEqual([]);

    // The admin sees them in the list, and changes them on the agent's page.
    await page.goto("/settings/users");
    const row = page.getByRole("row").filter({ hasText: email });
    await expect(row.getByRole("cell", { name: "de, en" })).toBeVisible();
    await row.getByRole("link", { name }).click();
    const adminCard = page.getByRole("region", { name: "Languages" });
    await expect(adminCard.getByLabel("Languages")).toHaveValue("de, en");
    await adminCard.getByLabel("Languages").fill("fr, de-AT");
    await adminCard.getByRole("button", { name: "Save languages" }).click();
    await expect(adminCard.getByText('"de-AT": give the language alone, without a region or script: de')).toBeVisible();
    await adminCard.getByLabel("Languages").fill("fr, de");
    await adminCard.getByRole("button", { name: "Save languages" }).click();
    await expect(adminCard.getByRole("status")).toHaveText("Languages saved.");
    await agent.reload();
    await expect(field).toHaveValue("fr, de");

    // An inbox of this run, with the agent as member, prefers the visitor's language; the choice is kept.
    const inbox = `Languages ${stamp}`;
    await createInboxWithMembers(page, inbox, [new RegExp(name)]);
    await page.goto("/settings/routing");
    const routing = page.getByRole("region", { name: inbox });
    const prefer = routing.getByLabel("Prefer agents who speak the visitor's language");
    await expect(prefer).not.toBeChecked();
    await routing.getByLabel("Assignment").selectOption("round_robin");
    await prefer.check();
    await routing.getByRole("button", { name: `Save routing of ${inbox}` }).click();
    await expect(routing.getByRole("status")).toHaveText(`Routing of ${inbox} saved.`);
    await page.reload();
    await expect(routing.getByLabel("Prefer agents who speak the visitor's language")).toBeChecked();
    await page.goto("/settings/inboxes");
    await expect(page.getByRole("row").filter({ hasText: inbox }).getByRole("cell", { name: "Round-robin among members, the visitor's language first" })).toBeVisible();
  } finally {
    for (const context of contexts) await context.close();
  }
});
