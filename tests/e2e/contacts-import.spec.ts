/**
 * Moving a customer base in and out: an agent uploads a CSV file (semicolons, a byte-order mark,
 * a quoted note over two lines) on /contacts/import, checks the guessed mapping, picks the
 * country of national phone numbers, imports, and sees the counts and the rejected row with its
 * line; the imported contact is found on /contacts, and the export of the filtered list holds it
 * — with a name that starts like a formula defused. A file over 5 MB is refused with 413 and one
 * that is not UTF-8 with a message under the file field.
 *
 * Assumes the demo seed (runtime/services/seed.ts): agent@parley.local, the contact property
 * company_size from the example flows.
 */
import { expect, test } from "@playwright/test";
import { fileURLToPath } from "node:url";
import { demoUsers, seriousViolations, signIn } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/contacts-import.csv", import.meta.url));

test.describe.configure({ mode: "serial" });

test("an agent imports contacts from a CSV file, sees what was rejected, finds and exports them", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto("/contacts");
  await page.getByRole("link", { name: "Import", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Import contacts" })).toBeVisible();
  await expect(page.getByText("An import never records consent to receive email")).toBeVisible();

  // Step 1: the upload.
  await page.getByLabel("CSV file", { exact: true }).setInputFiles(FIXTURE);
  await page.getByRole("button", { name: "Upload and preview" }).click();

  // Step 2: the preview and the guessed mapping.
  await expect(page.getByText("Step 2 of 3")).toBeVisible();
  await expect(page.getByText("4 rows, separated by semicolons")).toBeVisible();
  const preview = page.getByRole("table").first();
  await expect(preview.getByRole("row").nth(1)).toContainText("Imka Importer");
  await expect(page.getByLabel("Column “Full name”")).toHaveValue("name");
  await expect(page.getByLabel("Column “E-mail”")).toHaveValue("email");
  await expect(page.getByLabel("Column “Mobile”")).toHaveValue("phone");
  await expect(page.getByLabel("Column “Company size”")).toHaveValue("property:company_size");
  await expect(page.getByLabel("Column “Notes”")).toHaveValue("ignore");
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByLabel("Country of phone numbers without a country code").selectOption("DE");
  await page.getByRole("button", { name: "Import 4 rows" }).click();

  // Step 3: the counts and the rejected row, by its line.
  await expect(page.getByRole("status")).toContainText("Created: 3 · Updated: 0 · Skipped: 0 · Rejected: 1");
  const rejected = page.getByRole("region", { name: "Rejected rows" });
  const bad = rejected.getByRole("row").filter({ hasText: "Expected an email address like name@example.com" });
  await expect(bad.getByRole("cell").nth(0)).toHaveText("5");
  await expect(bad.getByRole("cell").nth(1)).toHaveText("E-mail");
  const download = await page.request.get(await rejected.getByRole("link", { name: "Download the rejected rows (CSV)" }).getAttribute("href") ?? "");
  expect(download.status()).toBe(200);
  // Separated as the uploaded file was (semicolons), so Excel opens it as it opened that file.
  expect(await download.text()).toContain("Not Valid;not-an-email;;;;line 5, E-mail: expected an email address like name@example.com\r\n");

  // The imported contact is on /contacts, its phone in E.164 and its email lower-cased.
  await page.getByRole("link", { name: "See the contacts" }).click();
  await page.getByRole("search", { name: "Filter contacts" }).getByLabel("Search").fill("bulk");
  await page.getByRole("search", { name: "Filter contacts" }).getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/search=bulk/);
  await expect(page.getByRole("row").filter({ hasText: "bo.bulk@example.com" })).toContainText("+49307654321");

  // The export takes the filters shown.
  const exportHref = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  expect(exportHref).toBe("/contacts/export.csv?search=bulk");
  const exported = await page.request.get(exportHref ?? "");
  expect(exported.headers()["content-type"]).toContain("text/csv");
  const text = await exported.text();
  expect(text.split("\r\n")[0]).toBe("\uFEFFid,name,email,phone,owner,lists,created,last activity");
  expect(text).toContain(",Bo Bulk,bo.bulk@example.com,'+49307654321,");
  expect(text).not.toContain("imka");
  const all = await (await page.request.get("/contacts/export.csv")).text();
  expect(all).toContain("imka.importer@example.com,'+49301234567,,,");
  expect(all.split("\r\n")[0]).toContain(",last activity,");
  expect(all.split("\r\n")[0]).toContain("company_size");
  expect(all.split("\r\n").find((line) => line.includes("imka.importer@example.com"))).toContain(",50-200");
  // A name a spreadsheet would run as a formula is written as text.
  expect(all).toContain(",'=SUM Person,sum.person@example.com,");
});

test("a file over 5 MB is refused with 413, and a file that is not UTF-8 under its field", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto("/contacts/import");
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  const big = await page.request.post("/contacts/import", {
    multipart: { csrf, file: { name: "big.csv", mimeType: "text/csv", buffer: Buffer.alloc(5 * 1024 * 1024 + 1, "a") } },
    maxRedirects: 0,
  });
  expect(big.status()).toBe(413);

  await page.getByLabel("CSV file", { exact: true }).setInputFiles({ name: "latin1.csv", mimeType: "text/csv", buffer: Buffer.from([0x4e, 0x61, 0x6d, 0x65, 0x0a, 0x4a, 0xf6, 0x72, 0x67, 0x0a]) });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page.getByText("The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again")).toBeVisible();
  await expect(page.getByLabel("CSV file", { exact: true })).toHaveAttribute("aria-invalid", "true");
});
