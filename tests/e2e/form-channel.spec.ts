/**
 * A form channel as an admin and a site visitor use it, in real Chromium: the admin adds a form
 * channel, edits its fields (add, reorder, remove, a select's options), sees a bad key refused on
 * its input with nothing saved, saves, and copies the plain HTML snippet; a visitor fills that
 * snippet in on a page and lands on the thank-you page; the ticket is in the ticket list.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, inboxLive, signIn } from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const channelName = `Contact form ${stamp}`;
let formPath = "";

const save = async (page: Page) => {
  const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/settings/channels/form/"));
  await page.getByRole("button", { name: "Save", exact: true }).click();
  return posted;
};

const row = (page: Page, n: number) => page.getByRole("group", { name: new RegExp(`^Field ${n}:`) });

test("an admin adds a form channel and edits its fields; a bad key is refused on its input and nothing is saved", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/settings/channels");
  const add = page.getByRole("form", { name: "Add a channel" });
  await add.getByRole("radio", { name: /^Form/ }).check();
  await add.getByLabel("Name", { exact: true }).fill(channelName);
  // Named, not the first in the list: other specs add inboxes of their own.
  await add.getByLabel("Inbox").selectOption({ label: "Support" });
  await add.getByRole("button", { name: "Add channel" }).click();
  await expect(page.getByRole("heading", { level: 1, name: channelName })).toBeVisible();
  await expect(page).toHaveURL(/\/settings\/channels\/form\/[^/]+$/);
  formPath = new URL(page.url()).pathname;

  // A new form asks name, email and message.
  await expect(row(page, 1)).toHaveAccessibleName("Field 1: Name");
  await expect(row(page, 2)).toHaveAccessibleName("Field 2: Email");
  await expect(row(page, 3)).toHaveAccessibleName("Field 3: Message");

  // Add a choice, fill it in, and move it above the message.
  await page.getByRole("button", { name: "Add field" }).click();
  await expect(page.getByText("Not saved yet")).toBeVisible();
  const added = row(page, 4);
  await added.getByLabel("Label").fill("Topic");
  await added.getByLabel("Key").fill("topic");
  await added.getByLabel("Type").selectOption("select");
  await added.getByLabel("Options (for a choice)").fill("Sales\nSupport");
  await added.getByLabel("Required").check();
  await added.getByRole("button", { name: "Move Topic up" }).click();
  await expect(row(page, 3)).toHaveAccessibleName("Field 3: Topic");
  await expect(row(page, 3).getByLabel("Options (for a choice)")).toHaveValue("Sales\nSupport");
  await expect(row(page, 3).getByLabel("Required")).toBeChecked();

  await page.getByLabel("Ticket subject").fill("{topic} request from {name}");
  await page.getByLabel("Ticket priority").selectOption("high");

  // A key with a space: refused on that input, nothing saved.
  await row(page, 1).getByLabel("Key").fill("full name");
  const refused = await save(page);
  expect(refused.status()).toBe(400);
  await expect(page.getByRole("alert").filter({ hasText: "Nothing was saved" })).toBeVisible();
  await expect(row(page, 1).getByLabel("Key")).toHaveAccessibleDescription(/A key is letters, digits and _/);
  await page.reload();
  await expect(row(page, 3)).toHaveAccessibleName("Field 3: Message");

  // Again, right this time.
  await page.getByRole("button", { name: "Add field" }).click();
  await expect(row(page, 4)).toBeVisible();
  await row(page, 4).getByLabel("Label").fill("Topic");
  await row(page, 4).getByLabel("Key").fill("topic");
  await row(page, 4).getByLabel("Type").selectOption("select");
  await row(page, 4).getByLabel("Options (for a choice)").fill("Sales\nSupport");
  await row(page, 4).getByLabel("Required").check();
  await row(page, 4).getByRole("button", { name: "Move Topic up" }).click();
  // The page redraws with the moved draft: type the rest after that, or the redraw drops it.
  await expect(row(page, 3)).toHaveAccessibleName("Field 3: Topic");
  await page.getByLabel("Ticket subject").fill("{topic} request from {name}");
  await page.getByLabel("Ticket priority").selectOption("high");
  await page.getByLabel("Success message").fill("Thanks! We answer within a day.");
  const saved = await save(page);
  expect(saved.status()).toBe(200);
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(row(page, 3)).toHaveAccessibleName("Field 3: Topic");
  await expect(page.getByLabel("Ticket subject")).toHaveValue("{topic} request from {name}");
  await expect(page.getByLabel("Ticket priority")).toHaveValue("high");
  await expect(page.getByLabel("HTML form snippet")).toContainText('name="topic"');

  // With an error showing, too: nothing a screen reader or keyboard user would trip on.
  await row(page, 1).getByLabel("Key").fill("bad key");
  expect((await save(page)).status()).toBe(400);
  const { violations } = await new AxeBuilder({ page }).include("#main").analyze();
  expect(violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
  await page.reload();

  // Remove a row; it comes back on reload until saved.
  await row(page, 4).getByRole("button", { name: "Remove Message" }).click();
  await expect(row(page, 4)).toHaveCount(0);
  await page.reload();
  await expect(row(page, 4)).toHaveAccessibleName("Field 4: Message");
});

test("a visitor sends the pasted HTML form and lands on the thank-you page; the ticket is in the list", async ({ page, browser }) => {
  await signIn(page, adminEmail());
  await page.goto(formPath);
  const snippet = (await page.getByLabel("HTML form snippet").textContent()) ?? "";
  expect(snippet).toContain("<form action=");

  // The visitor's page, on a site of its own: only the snippet.
  const visitor = await browser.newPage();
  try {
    await visitor.setContent(`<!doctype html><html><body><h1>Our site</h1>${snippet}</body></html>`);
    await visitor.getByLabel("Name").fill("Ann <b>Lee</b>");
    await visitor.getByLabel("Email").fill("ann.e2e@example.com");
    await visitor.getByLabel("Topic").selectOption("Support");
    await visitor.getByLabel("Message").fill("My invoice is wrong.");
    await visitor.getByRole("button", { name: "Send" }).click();
    await expect(visitor.getByRole("heading", { name: "Thank you" })).toBeVisible();
    await expect(visitor.getByText("Thanks! We answer within a day.")).toBeVisible();
  } finally {
    await visitor.close();
  }

  await page.goto("/tickets");
  await expect(page.getByText("Support request from Ann <b>Lee</b>").first()).toBeVisible();
});

test("the team answers a submission by email: the reply box says so, and without a team email the reply says why it was not sent", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/inbox");
  await page.getByRole("link", { name: /ann\.e2e@example\.com|Ann <b>Lee<\/b>/ }).first().click();
  await inboxLive(page);
  const box = page.getByRole("textbox", { name: "Reply to the visitor" });
  await expect(box).toHaveAttribute("placeholder", /^Reply by email to ann\.e2e@example\.com/);
  await box.fill("Hi Ann, we are correcting the invoice.");
  await box.press("Enter");
  // No team email in this inbox (specs that add one run later): kept, not sent, with the reason and a Retry.
  await expect(page.getByText(/Not delivered — this reply goes by email, and this inbox has no team email channel/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Retry sending this message" })).toBeVisible();
});

test("the demo site's contact page embeds the demo's Contact form: a visitor's message lands back on the page with thanks, and in the inbox", async ({ page, browser }) => {
  const visitor = await browser.newPage();
  try {
    await visitor.goto("/demo/contact");
    const form = visitor.getByRole("form", { name: "Write to us" });
    await form.getByLabel("Name").fill("Dana Demo");
    await form.getByLabel("Email").fill("dana.demo@example.com");
    await form.getByLabel("Message").fill("Can I book a launch for May?");
    await form.getByRole("button", { name: "Send message" }).click();
    await expect(visitor).toHaveURL(/\/demo\/contact\?sent=1$/);
    await expect(visitor.getByRole("status").filter({ hasText: "We got your message" })).toBeVisible();
  } finally {
    await visitor.close();
  }
  await signIn(page, adminEmail());
  await page.goto("/tickets");
  await expect(page.getByText("Contact form: Dana Demo").first()).toBeVisible();
});
