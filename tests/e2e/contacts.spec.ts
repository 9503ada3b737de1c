/**
 * Contacts as a place of their own: an agent creates a contact on /contacts, finds it by
 * searching, links a visitor's conversation to it from the inbox, hands it to another owner on
 * the contact page and follows the contact's conversation back to its thread. The contact page
 * fits a phone's width, and neither page has serious accessibility violations. A marketer picks
 * "Contact's owner (else routing)" as a handoff's target on the canvas, and it is saved.
 *
 * Assumes the demo seed (runtime/services/seed.ts): the Support inbox with agent@parley.local,
 * the support triage bot.
 */
import { expect, test } from "@playwright/test";
import { askSupportBotForPerson, demoUsers, seriousViolations, signIn } from "./helpers.js";

const STAMP = Date.now();
const NAME = `Greta Contact ${STAMP}`;
const EMAIL = `greta.${STAMP}@example.com`;
const QUESTION = `Where is parcel ${STAMP}?`;
let contactUrl = "";

test.describe.configure({ mode: "serial" });


test("an agent creates a contact, finds it, links a conversation, sets its owner and opens its conversation", async ({ page, playwright }) => {
  // A visitor asks the support bot for a person, through the public chat API.
  const conversationId = await askSupportBotForPerson(playwright, "https://shop.example/help/shipping", QUESTION);

  await signIn(page, demoUsers.agent);
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();

  // New contact: a phone without its country code is refused under its field, and nothing is lost.
  const form = page.getByRole("region", { name: "New contact" });
  await form.getByLabel("Name").fill(NAME);
  await form.getByLabel("Email").fill(EMAIL);
  await form.getByLabel("Phone").fill("030 1234567");
  await form.getByRole("button", { name: "Create contact" }).click();
  await expect(page.getByText("Enter the phone number with its country code, like +49 30 1234567")).toBeVisible();
  await expect(page.getByRole("region", { name: "New contact" }).getByLabel("Name")).toHaveValue(NAME);
  await page.getByRole("region", { name: "New contact" }).getByLabel("Phone").fill("+49 30 1234567");
  await page.getByRole("region", { name: "New contact" }).getByRole("button", { name: "Create contact" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Created ${NAME}` })).toBeVisible();

  // Found by search, among "My contacts" (its creator owns it).
  await page.getByRole("link", { name: "My contacts" }).click();
  await page.getByRole("search", { name: "Filter contacts" }).getByLabel("Search").fill(`greta ${STAMP}`);
  await page.getByRole("search", { name: "Filter contacts" }).getByRole("button", { name: "Search" }).click();
  const row = page.getByRole("row").filter({ hasText: EMAIL });
  await expect(row).toContainText("+49301234567");
  await expect(row).toContainText("Alex Agent (you)");

  // The visitor's conversation is linked to the contact from the inbox's panel.
  await page.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  const panel = page.getByRole("complementary", { name: "Contact and visitor" });
  await panel.getByLabel("Or link an existing contact").fill(EMAIL);
  await panel.getByRole("button", { name: "Find" }).click();
  await panel.getByRole("button", { name: `Link ${NAME}` }).click();
  await expect(panel.getByRole("form", { name: "Contact owner" }).getByLabel("Owner")).toHaveValue(/.+/, { timeout: 15_000 });
  await panel.getByRole("link", { name: "Open contact" }).click();

  // The contact page: hand the contact to the admin, then open its conversation.
  await expect(page.getByRole("heading", { level: 1, name: NAME })).toBeVisible();
  contactUrl = new URL(page.url()).pathname;
  await expect(page.getByText("Owned by you")).toBeVisible();
  const owner = page.getByRole("form", { name: "Change the owner" });
  await owner.getByLabel("Owner").selectOption({ label: "Admin" });
  await owner.getByRole("button", { name: "Save owner" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Owner saved." })).toBeVisible();
  await expect(page.getByText("Owned by Admin")).toBeVisible();

  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

  const conversations = page.getByRole("region", { name: "Conversations" });
  await expect(conversations.getByRole("row")).toHaveCount(2);
  await conversations.getByRole("link").first().click();
  await expect(page).toHaveURL(new RegExp(`/inbox/${conversationId}`));
  await expect(page.getByRole("log", { name: "Conversation transcript" })).toContainText(QUESTION);
});

test("the contacts list and a contact's page have no serious accessibility violations", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto(`/contacts?search=${STAMP}`);
  expect(await seriousViolations(page)).toEqual([]);
  await page.goto(contactUrl);
  await expect(page.getByRole("heading", { level: 1, name: NAME })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test("a marketer hands a bot's conversations to the contact's owner from the canvas, and it is saved", async ({ page }) => {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await signIn(page, demoUsers.marketer);
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(`Owner bot ${STAMP}`);
  await page.getByLabel("Start from").selectOption("blank:bot");
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);

  await page.getByRole("button", { name: "Add Handoff node" }).click();
  const form = page.getByRole("region", { name: "Handoff node settings" });
  await form.getByLabel("Hand the conversation to").selectOption({ label: "Contact's owner (else routing)" });
  await expect(form.getByText("A known contact's owner gets the conversation when they are available")).toBeVisible();
  const canvas = page.getByRole("tabpanel", { name: "Canvas" });
  await expect(canvas.getByText("To the contact's owner, else routing")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /^Saved · revision \d+$/ })).toBeVisible({ timeout: 10_000 });

  await page.reload();
  await canvas.getByText("To the contact's owner, else routing").click();
  await expect(page.getByRole("region", { name: "Handoff node settings" }).getByLabel("Hand the conversation to")).toHaveValue("contact_owner");
});
