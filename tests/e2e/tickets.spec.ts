/**
 * Tickets people own and work on: an agent creates a ticket from a conversation, assigns it to
 * themselves, adds a note from the keyboard and changes its status; the timeline shows all
 * three, newest last, and the list's "Mine" filter shows the ticket while "Unassigned" does not.
 * A change made on a stale page is refused with a clear message and the page shows what changed.
 * The ticket page fits a phone's width and has no serious accessibility violations.
 *
 * Assumes the demo seed (runtime/services/seed.ts): the Support inbox with agent@parley.local,
 * the support triage bot on /help pages.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { askSupportBotForPerson, demoUsers, signIn } from "./helpers.js";

test.describe.configure({ mode: "serial" });

const SUBJECT = `The zipper of order ${Date.now()} broke on day one`;
const NOTE = "Asked the warehouse for a replacement.\nCustomer prefers the same colour.";
let ticketUrl = "";

const timeline = (page: Page) => page.getByRole("list", { name: "Timeline" });

test("an agent creates a ticket from a conversation, takes it, adds a note and changes its status", async ({ page, playwright }) => {
  // A visitor asks the support bot for a person, through the public chat API.
  const conversationId = await askSupportBotForPerson(playwright, "https://shop.example/help/returns", SUBJECT);

  await signIn(page, demoUsers.agent);
  await page.goto(`/inbox/${encodeURIComponent(conversationId)}`);
  const panel = page.getByRole("complementary", { name: "Contact and visitor" });
  await panel.getByRole("button", { name: "Create ticket" }).click();
  const ticketForm = panel.getByRole("form", { name: "Create a ticket" });
  await expect(ticketForm.getByLabel("Subject")).toHaveValue(SUBJECT);
  // Without a subject it is refused beside the field, in a sentence (the service's "enter a subject", capitalised).
  await ticketForm.getByLabel("Subject").fill("");
  await ticketForm.getByRole("button", { name: "Create ticket" }).click();
  await expect(ticketForm.getByText("Enter a subject", { exact: true })).toBeVisible();
  await ticketForm.getByLabel("Subject").fill(SUBJECT);
  await ticketForm.getByRole("button", { name: "Create ticket" }).click();
  await expect(panel.getByRole("status").filter({ hasText: "Ticket created" })).toBeVisible({ timeout: 15_000 });

  await page.goto("/tickets?status=all&assignee=unassigned");
  await page.getByRole("row").filter({ hasText: SUBJECT }).getByRole("link", { name: SUBJECT }).click();
  await expect(page.getByRole("heading", { level: 1, name: SUBJECT })).toBeVisible();
  ticketUrl = new URL(page.url()).pathname;
  await expect(page.getByText(/· Unassigned ·/)).toBeVisible();
  await expect(timeline(page).getByRole("listitem")).toHaveText([/You created the ticket/]);

  await page.getByRole("button", { name: "Assign to me" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Assignee saved." })).toBeVisible();
  await expect(page.getByText(/Assigned to you/)).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Assignee" }).locator("option:checked")).toHaveText(/\(you\)$/);
  await expect(page.getByRole("button", { name: "Assign to me" })).toHaveCount(0);

  // The note, from the keyboard: type, Tab to the button, Enter.
  const note = page.getByRole("textbox", { name: "Note", exact: true });
  await note.focus();
  await page.keyboard.type(NOTE);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Add note" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "Note added." })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Note", exact: true })).toHaveValue("");

  await page.getByRole("combobox", { name: "Status" }).selectOption("waiting_on_contact");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  // Oldest first, newest last, each with who and when.
  await expect(timeline(page).getByRole("listitem")).toHaveText([
    /You created the ticket · just now/,
    /You assigned it to you · just now/,
    /You added a note · just now\s*Asked the warehouse for a replacement\.\s*Customer prefers the same colour\./,
    /You changed the status from New to Waiting on contact · just now/,
  ]);
  await expect(timeline(page).locator("time").first()).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/);
});

test("a blank note is refused with a message and adds nothing", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto(ticketUrl);
  const entries = timeline(page).getByRole("listitem");
  await expect(entries).toHaveCount(4);
  // Spaces pass the browser's `required`; the server trims them away and says why.
  await page.getByRole("textbox", { name: "Note", exact: true }).fill("    ");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByText("Write a note first", { exact: true })).toBeVisible();
  await expect(entries).toHaveCount(4);
});

test("the list's Mine filter shows the ticket with its assignee; Unassigned does not", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto("/tickets");
  await page.getByRole("navigation", { name: "Ticket assignee" }).getByRole("link", { name: "Mine" }).click();
  await expect(page).toHaveURL(/assignee=me/);
  await expect(page.getByRole("navigation", { name: "Ticket assignee" }).getByRole("link", { name: "Mine" })).toHaveAttribute("aria-current", "page");
  const row = page.getByRole("row").filter({ hasText: SUBJECT });
  await expect(row).toContainText("(you)");
  await expect(row).toContainText("Waiting on contact");

  await page.getByRole("navigation", { name: "Ticket assignee" }).getByRole("link", { name: "Unassigned" }).click();
  await expect(page).toHaveURL(/assignee=unassigned/);
  await expect(page.getByRole("row").filter({ hasText: SUBJECT })).toHaveCount(0);
});

test("a change made on a page someone else changed since is refused, and the page shows what is stored", async ({ browser }) => {
  const open = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, demoUsers.agent);
    await page.goto(ticketUrl);
    return { context, page };
  };
  const first = await open();
  const second = await open();
  await first.page.getByRole("combobox", { name: "Priority" }).selectOption("urgent");
  await first.page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(first.page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  // The second page still shows the version it was opened on.
  await second.page.getByRole("combobox", { name: "Status" }).selectOption("closed");
  await second.page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(second.page.getByRole("alert")).toContainText("Someone else changed this ticket first");
  await expect(second.page.getByRole("combobox", { name: "Priority" })).toHaveValue("urgent");
  await expect(second.page.getByRole("combobox", { name: "Status" })).toHaveValue("waiting_on_contact");
  await expect(timeline(second.page).getByRole("listitem").last()).toContainText("You changed the priority from Normal to Urgent");
  await expect(timeline(second.page)).not.toContainText("to Closed");
  // The message stays once the page has re-read the ticket.
  await expect(second.page.getByRole("alert")).toContainText("Someone else changed this ticket first");
  await first.context.close();
  await second.context.close();
});

test("the ticket page has no serious accessibility violations", async ({ page }) => {
  await signIn(page, demoUsers.agent);
  await page.goto(ticketUrl);
  const results = await new AxeBuilder({ page }).include("main").analyze();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(blocking.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
});

test("on a phone, the ticket page and the filtered list fit the screen's width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, demoUsers.agent);
  for (const path of [ticketUrl, "/tickets?assignee=me"]) {
    await page.goto(path);
    await expect(page.getByRole("main")).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const tooWide = await page.evaluate(() =>
      Array.from(document.querySelectorAll("body *"))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(-4)
        .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}"> “${(el.textContent ?? "").trim().slice(0, 40)}”`)
        .join("; "),
    );
    expect(overflow, `${path} is wider than the phone: ${tooWide}`).toBeLessThanOrEqual(0);
  }
  await page.goto(ticketUrl);
  await page.getByRole("button", { name: "Add note" }).scrollIntoViewIfNeeded();
  await expect(page.getByRole("button", { name: "Add note" })).toBeInViewport();
});
