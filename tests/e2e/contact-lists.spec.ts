/**
 * Contact lists: a marketer creates a list on /lists (a blank name is refused under its field),
 * an agent adds a contact to it from the contact's page, sees it there and finds the contact
 * by the list on /contacts; the lists page counts the member. No serious accessibility
 * violations on either page.
 *
 * Assumes the demo seed (runtime/services/seed.ts): marketer@parley.local and agent@parley.local.
 */
import { expect, test } from "@playwright/test";
import { demoUsers, seriousViolations, signIn } from "./helpers.js";

const STAMP = Date.now();
const LIST = `VIP ${STAMP}`;
const NAME = `Lena List ${STAMP}`;

test.describe.configure({ mode: "serial" });


test("a marketer creates a list", async ({ page }) => {
  await signIn(page, demoUsers.marketer);
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Lists" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Lists" })).toBeVisible();
  const form = page.getByRole("region", { name: "New list" });
  await form.getByLabel("Name").fill("   ");
  await form.getByRole("button", { name: "Create list" }).click();
  await expect(page.getByText("Enter a name for the list")).toBeVisible();
  await page.getByRole("region", { name: "New list" }).getByLabel("Name").fill(LIST);
  await page.getByRole("region", { name: "New list" }).getByRole("button", { name: "Create list" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The list is created." })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: LIST }).getByRole("cell").nth(1)).toHaveText("0");
  expect(await seriousViolations(page)).toEqual([]);
});

test("an agent adds a contact to the list from the contact's page and finds them by the list", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto("/contacts");
  const create = page.getByRole("region", { name: "New contact" });
  await create.getByLabel("Name").fill(NAME);
  await create.getByRole("button", { name: "Create contact" }).click();
  await page.getByRole("status").getByRole("link", { name: NAME }).click();
  await expect(page.getByRole("heading", { level: 1, name: NAME })).toBeVisible();

  const lists = page.getByRole("region", { name: "Lists" });
  await expect(lists.getByText("Not on any list.")).toBeVisible();
  const add = page.getByRole("form", { name: "Add to a list" });
  await add.getByLabel("Add to list").selectOption({ label: LIST });
  await add.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Lists saved." })).toBeVisible();
  await expect(page.getByRole("region", { name: "Lists" }).getByRole("link", { name: LIST })).toBeVisible();
  await expect(page.getByRole("region", { name: "Email subscription" })).toContainText("Never asked");
  expect(await seriousViolations(page)).toEqual([]);

  // The list's link shows its members on /contacts.
  await page.getByRole("region", { name: "Lists" }).getByRole("link", { name: LIST }).click();
  await expect(page.getByRole("row").filter({ hasText: NAME })).toBeVisible();
  await expect(page.getByRole("search", { name: "Filter contacts" }).getByLabel("List")).toHaveValue(/list_/);

  await page.goto("/lists");
  await expect(page.getByRole("row").filter({ hasText: LIST }).getByRole("cell").nth(1)).toHaveText("1");
  // Agents see lists but do not change them.
  await expect(page.getByRole("region", { name: "New list" })).toHaveCount(0);
});
