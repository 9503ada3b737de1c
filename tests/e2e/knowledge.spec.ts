/**
 * The knowledge base end to end: a marketer writes an article with a Markdown link, sees it in
 * the live preview, publishes it, and a visitor (signed out) finds it in the help center by
 * searching and reads it there; an agent reads the list but cannot write.
 */
import { expect, test } from "@playwright/test";
import { adminPassword, demoUsers, login } from "./helpers.js";

test("a marketer writes and publishes an article that a visitor finds in the help center", async ({ page, browser }) => {
  const title = `Refund policy ${Date.now()}`;
  await login(page, demoUsers.marketer, adminPassword());
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Knowledge" }).click();
  await expect(page.getByRole("heading", { name: "Knowledge base", level: 1 })).toBeVisible();
  await page.getByRole("link", { name: "New article" }).click();

  await page.getByLabel("Title").fill(title);
  await page
    .getByLabel("Article (Markdown)")
    .fill("Refunds reach your card within **five working days**.\n\nRead the [terms](https://acme-rockets.example/terms) first.");
  const preview = page.getByRole("region", { name: "Preview" });
  await expect(preview.getByRole("link", { name: "terms" })).toHaveAttribute("href", "https://acme-rockets.example/terms");
  await expect(preview.locator("strong")).toHaveText("five working days");
  await page.getByRole("button", { name: "Save draft" }).click();

  await expect(page.getByRole("status")).toContainText("The draft is saved");
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Save and publish" }).click();
  await expect(page.getByRole("status")).toContainText("The article is published");
  await expect(page.getByRole("link", { name: "View in help center" })).toBeVisible();

  // A visitor, not signed in.
  const visitor = await browser.newPage();
  await visitor.goto("/help");
  await expect(visitor.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await visitor.getByRole("searchbox", { name: "Search the help center" }).fill("how long do refunds take?");
  await visitor.getByRole("searchbox", { name: "Search the help center" }).press("Enter");
  const results = visitor.getByRole("list", { name: "Search results" });
  await expect(results.getByRole("link").first()).toHaveText(title);
  await results.getByRole("link", { name: title }).click();
  await expect(visitor.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(visitor).toHaveTitle(`${title} · Help center`);
  const terms = visitor.getByRole("article").getByRole("link", { name: "terms" });
  await expect(terms).toHaveAttribute("href", "https://acme-rockets.example/terms");
  await expect(terms).toHaveAttribute("rel", "noopener noreferrer");
  await visitor.close();
});

test("an agent reads the knowledge base but has no way to change it", async ({ page }) => {
  await login(page, demoUsers.agent, adminPassword());
  await page.goto("/knowledge");
  const articles = page.getByRole("region", { name: "Articles" });
  await expect(articles.getByRole("link", { name: "Reset your password" })).toBeVisible();
  await expect(page.getByRole("link", { name: "New article" })).toHaveCount(0);
  await articles.getByRole("link", { name: "Reset your password" }).click();
  await expect(page.getByLabel("Title")).toHaveAttribute("readonly", "");
  await expect(page.getByRole("button", { name: "Save" })).toHaveCount(0);
  const response = await page.goto("/knowledge/new");
  expect(response?.status()).toBe(403);
});
