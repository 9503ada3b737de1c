/**
 * The knowledge base end to end: a marketer writes an article with a Markdown link, sees it in
 * the live preview, publishes it, and a visitor (signed out) finds it in the help center by
 * searching and reads it there; an agent reads the list but cannot write; in the inbox, a reply
 * gets an article's title and help-center link from "Insert article".
 */
import { expect, test } from "@playwright/test";
import { adminEmail, demoUsers, getChatChannelId, inboxLive, parleyUrl, signIn } from "./helpers.js";

test("a marketer writes and publishes an article that a visitor finds in the help center", async ({ page, browser }) => {
  const title = `Refund policy ${Date.now()}`;
  await signIn(page, demoUsers.marketer);
  await page.goto("/");
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
  // Said once: the address carries no flag, and a reload does not say it again.
  expect(new URL(page.url()).search).toBe("");
  await page.reload();
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(page.getByText("The draft is saved")).toHaveCount(0);
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
  // The day it changed, written as the app writes dates (not an ISO stamp).
  await expect(visitor.getByText(/^Updated [A-Z][a-z]{2} \d{1,2}, \d{4}$/)).toBeVisible();
  const terms = visitor.getByRole("article").getByRole("link", { name: "terms" });
  await expect(terms).toHaveAttribute("href", "https://acme-rockets.example/terms");
  await expect(terms).toHaveAttribute("rel", "noopener noreferrer");
  await visitor.close();
});

test("an agent reads the knowledge base but has no way to change it", async ({ page }) => {
  await signIn(page, demoUsers.agent);
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

test("an editor whose save comes second sees the other's version and keeps their own text; a deleted article says so", async ({ page, browser }) => {
  await signIn(page, demoUsers.marketer);
  await page.goto("/knowledge/new");
  await page.getByLabel("Title").fill(`Launch checklist ${Date.now()}`);
  await page.getByLabel("Article (Markdown)").fill("Fuel, weather, go.");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByRole("status")).toContainText("The draft is saved");
  const address = new URL(page.url()).pathname;

  // A teammate (the admin, in another browser) changes the title while the marketer edits theirs.
  const other = await browser.newContext();
  const teammate = await other.newPage();
  await signIn(teammate, adminEmail());
  await teammate.goto(address);
  await teammate.getByLabel("Title").fill("Launch checklist, by the admin");
  await teammate.getByRole("button", { name: "Save", exact: true }).click();
  await expect(teammate.getByRole("status")).toContainText("The article is saved");

  await page.getByLabel("Title").fill("Launch checklist, by the marketer");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("Someone else changed this article first");
  // The page shows the article as it is now, and what the marketer typed stays below to copy from.
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Launch checklist, by the admin");
  await expect(page.getByLabel("Title")).toHaveValue("Launch checklist, by the admin");
  await expect(page.getByRole("textbox", { name: "Your unsaved text" })).toHaveValue(/Launch checklist, by the marketer/);
  // Their change made again on the fresh version is saved.
  await page.getByLabel("Title").fill("Launch checklist, by the marketer");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("The article is saved");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Launch checklist, by the marketer");

  // The teammate deletes it; the marketer's next save says it is gone rather than keeping a dead editor.
  await teammate.reload();
  await teammate.getByText("Delete this article…").click();
  await teammate.getByRole("button", { name: /Yes, delete/ }).click();
  await expect(teammate).toHaveURL(/\/knowledge$/);
  await expect(teammate.getByRole("status")).toHaveText("The article is deleted.");
  await teammate.reload();
  await expect(teammate.getByText("The article is deleted.")).toHaveCount(0);
  await other.close();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
});

test("a reply gets an article's title and help-center link from the composer's Insert article", async ({ page, request }) => {
  // A visitor through the public chat API, on the live-chat flow, which hands them to the team at once.
  const channel = await getChatChannelId(request);
  const pageUrl = "https://shop.example/account";
  const made = await request.post("/api/visitors", { data: { channel, pageUrl } });
  const headers = { Authorization: `Bearer ${((await made.json()) as { visitorToken: string }).visitorToken}` };
  const started = await request.post("/api/conversations", { headers, data: { channel, chatflowId: "flow_live_chat_hours", pageUrl } });
  expect(started.status(), await started.text()).toBe(201);
  const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;

  await signIn(page, adminEmail());
  await page.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  await inboxLive(page);
  const reply = page.getByRole("textbox", { name: "Reply to the visitor" });
  await reply.fill("Here is how:");
  await page.getByText("Insert article", { exact: true }).click();
  const search = page.getByRole("searchbox", { name: "Search published articles" });
  await expect(search).toBeFocused();
  await search.fill("forgot my password");
  // Enter searches; it does not send the half-written reply.
  await search.press("Enter");
  await page.getByRole("list", { name: "Articles" }).getByRole("button", { name: "Reset your password" }).click();
  await expect(reply).toHaveValue(`Here is how:\nReset your password: ${parleyUrl()}/help/articles/art_demo_reset_password`);
  await expect(reply).toBeFocused();
  await expect(search).toBeHidden();
});
