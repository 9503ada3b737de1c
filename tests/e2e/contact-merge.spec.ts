/**
 * Duplicate contacts and a person's data: an agent sees a possible duplicate on a contact's page,
 * previews the merge (what moves, which values win), merges, and the other contact's old address
 * leads to the kept one with its conversation. An admin downloads a contact's data as JSON and
 * erases the contact: a wrong confirmation, or a post without the CSRF token, changes nothing.
 * The merge preview fits a phone's width and has no serious accessibility violations.
 *
 * Assumes the demo seed (runtime/services/seed.ts): agent@parley.local in the Support inbox.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, askSupportBotForPerson, demoUsers, readServerDatabase, seriousViolations, signIn, writeServerDatabase } from "./helpers.js";

const STAMP = Date.now();
const DOMAIN = `acme-${STAMP}.example`;
const KEPT = { name: `Hanna Merge ${STAMP}`, email: `hanna@${DOMAIN}` };
const OTHER = { name: `Hanna Merge ${STAMP}`, email: `h.merge@${DOMAIN}`, phone: "+49 30 7654321" };

test.describe.configure({ mode: "serial" });

/** Creates a contact on /contacts and returns its page's path. */
const createContact = async (page: Page, fields: { name: string; email: string; phone?: string }) => {
  await page.goto("/contacts");
  const form = page.getByRole("region", { name: "New contact" });
  await form.getByLabel("Name").fill(fields.name);
  await form.getByLabel("Email").fill(fields.email);
  if (fields.phone) await form.getByLabel("Phone").fill(fields.phone);
  await form.getByRole("button", { name: "Create contact" }).click();
  await page.getByRole("status").getByRole("link", { name: fields.name }).click();
  await expect(page.getByRole("heading", { level: 1, name: fields.name })).toBeVisible();
  return new URL(page.url()).pathname;
};

let keptPath = "";
let otherPath = "";

test("an agent merges a possible duplicate after a preview, and the other contact's address leads to the kept one", async ({ page, playwright }) => {
  const conversationId = await askSupportBotForPerson(playwright, "https://shop.example/help/merge", `Merge question ${STAMP}`);
  await signIn(page, demoUsers.agent);
  await page.goto("/");
  otherPath = await createContact(page, OTHER);
  const otherId = decodeURIComponent(otherPath.split("/").pop()!);
  writeServerDatabase("UPDATE conversations SET contact_id = ? WHERE id = ?", otherId, conversationId);
  keptPath = await createContact(page, KEPT);
  // Agents do not handle personal-data requests: no download, no erase.
  await expect(page.getByRole("region", { name: "Personal data" })).toHaveCount(0);
  expect((await page.request.get(`${keptPath}/data.json`)).status()).toBe(403);
  expect((await page.request.get("/contacts/ct_nope/merge")).status()).toBe(404);

  const duplicates = page.getByRole("region", { name: "Possible duplicates" });
  await expect(duplicates.getByRole("listitem")).toContainText("same name and email domain");
  await duplicates.getByRole("link", { name: `Review merge of ${OTHER.name}` }).click();

  // The preview: what moves, which fields come over, and that the kept contact's own values win.
  const preview = page.getByRole("region", { name: `Merge ${OTHER.name} into ${KEPT.name}` });
  await expect(preview.getByRole("list", { name: "What moves" })).toContainText("1 conversation");
  await expect(preview.getByRole("table").first()).toContainText("+49307654321");
  await expect(preview).toContainText(`${KEPT.name}'s values win`);
  await expect(preview.getByRole("row").filter({ hasText: "email" })).toContainText(KEPT.email);

  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  expect(await seriousViolations(page)).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Searching finds it too (by its email), and merging it into itself is not offered.
  await page.getByRole("search", { name: "Search contacts" }).getByLabel("Name, email or phone").fill(OTHER.email);
  await page.getByRole("search", { name: "Search contacts" }).getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("list", { name: "Contacts to merge" }).getByRole("link", { name: `Preview merging ${OTHER.name}` })).toBeVisible();
  await expect(page.getByRole("list", { name: "Contacts to merge" })).not.toContainText(KEPT.email);
  await page.getByRole("link", { name: `Preview merging ${OTHER.name}` }).click();

  const mergeButton = page.getByRole("button", { name: `Merge and delete ${OTHER.name}` });
  expect(await mergeButton.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe("rgb(180, 35, 24)");
  await mergeButton.click();
  await expect(page).toHaveURL(new RegExp(`${keptPath}$`));
  await expect(page.getByRole("status").filter({ hasText: `Merged ${OTHER.name} into this contact.` })).toBeVisible();
  // A one-time notice: a reload does not show it again, and no address can make the page say it.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: KEPT.name })).toBeVisible();
  await expect(page.getByText("into this contact.")).toHaveCount(0);
  await page.goto(`${keptPath}?merged=${encodeURIComponent("Someone else")}`);
  await expect(page.getByRole("heading", { level: 1, name: KEPT.name })).toBeVisible();
  await expect(page.getByText("into this contact.")).toHaveCount(0);
  await page.goto(keptPath);
  await expect(page.getByRole("form", { name: "Edit contact" }).getByLabel("Phone")).toHaveValue("+49307654321");
  await expect(page.getByRole("form", { name: "Edit contact" }).getByLabel("Email")).toHaveValue(KEPT.email);
  await expect(page.getByRole("region", { name: "Conversations" }).getByRole("row")).toHaveCount(2);

  // The merged contact is gone; its old address leads here.
  await page.goto(otherPath);
  await expect(page).toHaveURL(new RegExp(`${keptPath}$`));
  await expect(page.getByRole("heading", { level: 1, name: KEPT.name })).toBeVisible();
  // Merging with the contact that is gone now is refused with a clear message.
  await page.goto(`${keptPath}/merge?with=${encodeURIComponent(otherId)}`);
  await expect(page.getByText("That contact no longer exists: it was deleted or merged meanwhile")).toBeVisible();
});

test("an admin downloads a contact's data and erases the contact once its name is typed; bad attempts change nothing", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto(keptPath);
  const data = page.getByRole("region", { name: "Personal data" });

  const href = await data.getByRole("link", { name: "Download data" }).getAttribute("href");
  const download = await page.request.get(href!);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-disposition"]).toMatch(/^attachment; filename="contact-.+\.json"$/);
  const exported = await download.json();
  expect((await page.request.get("/contacts/ct_nope/data.json")).status()).toBe(404);
  expect(exported.contact).toMatchObject({ name: KEPT.name, email: KEPT.email, phone: "+49307654321" });
  expect(exported.conversations).toHaveLength(1);

  // Without the CSRF token: refused, nothing erased.
  const contactId = decodeURIComponent(keptPath.split("/").pop()!);
  const forged = await page.request.post(keptPath, { form: { intent: "erase", confirm: KEPT.name }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM contacts WHERE id = ?", contactId).n).toBe(1);

  // It looks like what it does: red, not the blue of an ordinary save.
  const danger = "rgb(180, 35, 24)";
  expect(await data.getByRole("button", { name: "Delete contact and their data" }).evaluate((b) => getComputedStyle(b).backgroundColor)).toBe(danger);

  // A wrong confirmation: said under the field, nothing erased.
  await data.getByLabel(`Type “${KEPT.name}” to confirm`).fill("Hanna");
  await data.getByRole("button", { name: "Delete contact and their data" }).click();
  await expect(page.getByText("Type the contact's name or email exactly as shown to confirm: nothing was erased")).toBeVisible();
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM contacts WHERE id = ?", contactId).n).toBe(1);

  // A second tab on the same contact, to save in after the erasure.
  const stale = await page.context().newPage();
  await stale.goto(keptPath);

  await page.getByRole("region", { name: "Personal data" }).getByLabel(`Type “${KEPT.name}” to confirm`).fill(KEPT.name);
  await page.getByRole("region", { name: "Personal data" }).getByRole("button", { name: "Delete contact and their data" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("status").filter({ hasText: "Contact and their data deleted; 1 conversation kept without their words" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
  await expect(page.getByText("Contact and their data deleted")).toHaveCount(0);
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM contacts WHERE id = ?", contactId).n).toBe(0);
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?", `"${STAMP}"`).n).toBe(0);
  const gone = await page.request.get(keptPath);
  expect(gone.status()).toBe(404);

  // The stale tab's save says what happened, in words.
  const edit = stale.getByRole("form", { name: "Edit contact" });
  await edit.getByLabel("Name", { exact: true }).fill("Someone else");
  await edit.getByRole("button", { name: "Save contact" }).click();
  await expect(stale.getByRole("alert")).toHaveText("This contact no longer exists: it was merged or erased meanwhile. Go back to Contacts to find them.");
  await stale.close();
});

test("a contact whose address reaches the same mailbox (a +tag) is a possible duplicate by email", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto("/");
  const tagged = await createContact(page, { name: `Quinn Tag ${STAMP}`, email: `quinn+shop@${DOMAIN}` });
  const plain = await createContact(page, { name: `Q. Plain ${STAMP}`, email: `Quinn@${DOMAIN}` });
  const duplicates = page.getByRole("region", { name: "Possible duplicates" });
  await expect(duplicates.getByRole("listitem")).toHaveText(new RegExp(`Quinn Tag ${STAMP}.*same email`));
  await duplicates.getByRole("link", { name: `Quinn Tag ${STAMP}`, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${tagged}$`));
  await expect(page.getByRole("region", { name: "Possible duplicates" }).getByRole("link", { name: `Q. Plain ${STAMP}`, exact: true })).toHaveAttribute("href", plain);
});
