/**
 * Parley on a phone (390 × 844): every page each role opens fits the screen's width — the page
 * never scrolls sideways — and every area in the top navigation can be reached from it.
 * Wide tables scroll inside their card instead of widening the page, and an agent who opens a
 * conversation has the composer in view at once.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { adminEmail, apiVisitorAsksForAPerson, demoUsers, getChatChannelId, inboxLive, parleyUrl, readServerDatabase, signIn, writeServerDatabase } from "./helpers.js";

const PHONE = { width: 390, height: 844 };

const pagesByRole: Record<string, { email: () => string; pages: ReadonlyArray<string> }> = {
  admin: {
    email: adminEmail,
    pages: [
      "/flows",
      "/inbox",
      "/tickets",
      "/contacts",
      "/contacts/import",
      "/lists",
      "/reports",
      "/reports/bots",
      "/reports/team",
      "/reports/breaches",
      "/reports/automation",
      "/settings/users",
      "/settings/inboxes",
      "/settings/channels",
      // A form channel's page names its submission address inline, one long unbroken word.
      "/settings/channels/form/chan_contact_form",
      "/settings/teams",
      "/settings/teams/team_sales",
      "/settings/routing",
      "/settings/saved-replies",
      "/settings/macros",
      "/settings/labels",
      "/settings/webhooks",
      "/settings/audit",
      "/settings/profile",
      // Setting up two-factor sign-in (what a user is sent to when the workspace requires it).
      "/two-factor",
      "/knowledge",
      "/knowledge/new",
      "/knowledge/art_demo_reset_password",
      "/help",
      "/help?q=reset+password",
      // A visitor pastes an error code: the results' heading repeats it.
      "/help?q=ERR_LAUNCH_WINDOW_LOCKED_BY_COUNTDOWN_SEQUENCE_0x80070005",
      "/help/articles/art_demo_plans_pricing",
    ],
  },
  agent: {
    email: () => demoUsers.agent,
    pages: ["/inbox", "/inbox?view=snoozed", "/inbox/bulk", "/tickets", "/contacts", "/contacts/import", "/lists", "/knowledge", "/settings/macros", "/settings/profile"],
  },
  marketer: {
    email: () => demoUsers.marketer,
    pages: ["/flows", "/flows/flow_support_triage", "/lists", "/knowledge", "/knowledge/art_demo_export_data", "/settings/profile"],
  },
  analyst: { email: () => demoUsers.analyst, pages: ["/reports", "/reports/bots", "/reports/team", "/reports/breaches", "/reports/automation", "/settings/profile"] },
};

/** How many CSS pixels the page is wider than the screen (0 when it fits). */
const sidewaysOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** The elements that reach past the screen's right edge, for a failure message that says where to look. */
const tooWide = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll("body *"))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-4)
      .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}"> “${(el.textContent ?? "").trim().slice(0, 40)}”`)
      .join("; "),
  );

/** Pages per test: each is a load and an axe pass; a whole role's list in one test neared its 30 s limit under load. */
const PAGES_PER_TEST = 10;

for (const [role, { email, pages: all }] of Object.entries(pagesByRole)) {
  for (let from = 0; from < all.length; from += PAGES_PER_TEST) {
    const pages = all.slice(from, from + PAGES_PER_TEST);
    const part = all.length > PAGES_PER_TEST ? ` (${from + 1}–${from + pages.length} of ${all.length})` : "";
    test(`on a phone, the ${role}'s pages fit the screen's width${part}`, async ({ page }) => {
      await page.setViewportSize(PHONE);
      await signIn(page, email());
      for (const path of pages) {
        await page.goto(path);
        await expect(page.getByRole("main")).toBeVisible();
        expect(await sidewaysOverflow(page), `${path} is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
        // What scrolls sideways instead (a wide table) can be focused and scrolled from the keyboard.
        const { violations } = await new AxeBuilder({ page }).withRules(["scrollable-region-focusable"]).analyze();
        expect(violations.flatMap((v) => v.nodes.map((n) => n.target.join(" "))), `${path}: scrolling boxes without focus`).toEqual([]);
      }
    });
  }
}

test("on a small laptop (1024 × 720), the top bar fits whole and the inbox shows conversations under its views", async ({ page, request }) => {
  const channel = await getChatChannelId(request);
  for (let i = 0; i < 3; i++) await apiVisitorAsksForAPerson(request, channel, `Small laptop check ${i} ${Date.now()}`);
  await page.setViewportSize({ width: 1024, height: 720 });
  await signIn(page, adminEmail());
  await page.goto("/inbox?view=all_open");
  await inboxLive(page);
  expect(await sidewaysOverflow(page), `the inbox is wider than the screen: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  await expect(page.getByRole("button", { name: "Log out" })).toBeInViewport({ ratio: 1 });
  // The views take two columns on a short screen: two whole conversations are in view under them.
  const rows = page.getByRole("list", { name: "All open conversations" }).getByRole("listitem");
  for (const index of [0, 1]) await expect(rows.nth(index)).toBeInViewport({ ratio: 1 });
  // Every area can still be reached from the top bar.
  const settings = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" });
  await settings.scrollIntoViewIfNeeded();
  await expect(settings).toBeInViewport();
});

test("on a phone, the profile page fits with a new API token shown and the tokens listed", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await signIn(page, demoUsers.analyst);
  await page.goto("/settings/profile");
  const section = page.getByRole("region", { name: "API tokens" });
  await section.getByLabel("Name", { exact: true }).fill("A reporting script with a long name for a phone");
  await section.getByRole("button", { name: "Create token" }).click();
  await expect(section.getByLabel("New API token")).toBeVisible();
  await expect(section.getByRole("table")).toBeVisible();
  expect(await sidewaysOverflow(page), `/settings/profile is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
});

test("on a phone, a report fits the screen before its charts are drawn (no script yet)", async ({ browser }) => {
  // Without JavaScript the charts keep the fixed size they are served with.
  const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, demoUsers.analyst);
  await page.goto("/reports/bots");
  await expect(page.getByRole("heading", { level: 1, name: "Bot performance" })).toBeVisible();
  expect(await sidewaysOverflow(page), `/reports/bots is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  await context.close();
});

test("on a phone, every area in the top navigation can be scrolled to and opened", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await signIn(page, adminEmail());
  await page.goto("/flows");
  const nav = page.getByRole("navigation", { name: "Main" });
  const links = nav.getByRole("link");
  const names = await links.allTextContents();
  expect(names).toEqual(["Flows", "Inbox", "Tickets", "Contacts", "Lists", "Reports", "Knowledge", "Settings"]);
  const last = links.last();
  await last.scrollIntoViewIfNeeded();
  const box = (await last.boundingBox())!;
  expect(box.x, "the last area starts on screen").toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, "the last area ends on screen").toBeLessThanOrEqual(PHONE.width);
  await last.click();
  await expect(page).toHaveURL(/\/settings/);
  expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
});

test("on a phone, the builder's canvas gets the screen's width and the steps can still be added", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await signIn(page, demoUsers.marketer);
  await page.goto("/flows/flow_support_triage");
  const pane = page.getByRole("tabpanel", { name: "Canvas" }).locator(".react-flow__pane");
  await expect(pane).toBeVisible();
  const box = (await pane.boundingBox())!;
  expect(box.width, "the canvas is as wide as the phone, less the page's margins").toBeGreaterThan(PHONE.width - 60);
  expect(box.height).toBeGreaterThanOrEqual(300);
  const addMessage = page.getByRole("button", { name: "Add Message node" });
  await addMessage.scrollIntoViewIfNeeded();
  await expect(addMessage).toBeInViewport();
  expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
});

/** A visitor, through the public chat API, starts `chatflowId` and sends each of `answers` in turn. */
async function visitorAnswers(request: APIRequestContext, chatflowId: string, answers: ReadonlyArray<Record<string, string>>): Promise<void> {
  const channel = await getChatChannelId(request);
  const pageUrl = "https://shop.example/help/phone";
  const made = await request.post(`${parleyUrl()}/api/visitors`, { data: { channel, pageUrl } });
  expect(made.status()).toBe(201);
  const headers = { Authorization: `Bearer ${((await made.json()) as { visitorToken: string }).visitorToken}` };
  const started = await request.post(`${parleyUrl()}/api/conversations`, { headers, data: { channel, chatflowId, pageUrl } });
  expect(started.status(), await started.text()).toBe(201);
  const id = ((await started.json()) as { conversation: { id: string } }).conversation.id;
  for (const body of answers) {
    const sent = await request.post(`${parleyUrl()}/api/conversations/${id}/messages`, { headers, data: { clientMessageId: `m-${Math.random()}`, ...body } });
    expect(sent.status(), await sent.text()).toBe(200);
  }
}

test("on a phone, an agent opens a conversation and replies without scrolling to find the composer", async ({ page, playwright }) => {
  const request = await playwright.request.newContext({ baseURL: parleyUrl() });
  // Long enough that its one-line preview in the list is far wider than the phone.
  const question = `Is my phone order on its way? ${Date.now()}`;
  await visitorAnswers(request, "flow_support_triage", [{ choice: "talk_to_person" }, { text: question }]);
  // A visitor the lead bot knows by a long email: the list shows it as the conversation's name.
  const email = `phone.layout.check.${Date.now()}@example-company.com`;
  await visitorAnswers(request, "flow_lead_qualification", [{ text: "Ada" }, { text: email }]);
  await request.dispose();

  await page.setViewportSize(PHONE);
  await signIn(page, demoUsers.agent);
  await page.goto("/inbox?view=bot");
  await expect(page.getByRole("link", { name: new RegExp(email.replace(/[.]/g, "\\.")) })).toBeVisible();
  expect(await sidewaysOverflow(page), `the list is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  await page.goto("/inbox?view=all_open");
  // A click before the list's script runs loads the conversation as a new document; either way
  // the wait below is for the conversation page's script.
  await page.getByRole("link", { name: new RegExp(question.replace(/[?]/g, "\\?")) }).click();
  await expect(page).toHaveURL(/\/inbox\/[^?]+/);
  await inboxLive(page);
  const composer = page.getByRole("textbox", { name: "Reply to the visitor" });
  await expect(composer).toBeInViewport({ ratio: 1 });
  // The list (and its "Inbox" heading) is hidden: the conversation's title is the page's one h1, in view.
  await expect(async () => expect(`${await page.getByRole("heading", { level: 1 }).textContent()} · Inbox · Parley`).toBe(await page.title())).toPass();
  await expect(page.getByRole("heading", { level: 1 })).toBeInViewport({ ratio: 1 });
  expect(await sidewaysOverflow(page), `the open conversation is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  // Each assignment label sits beside its own select, not at the end of the line above it.
  const assignment = page.getByRole("form", { name: "Assignment" });
  for (const name of ["Assignee", "Team"]) {
    const label = (await assignment.locator("label", { hasText: name }).boundingBox())!;
    const select = (await assignment.getByLabel(name).boundingBox())!;
    expect(Math.abs(label.y + label.height / 2 - (select.y + select.height / 2)), `${name} and its select share a row`).toBeLessThan(8);
    expect(label.x, `${name} comes before its select`).toBeLessThan(select.x);
  }
  await expect(page.getByRole("log", { name: "Conversation transcript" }).getByText(question)).toBeInViewport();
  await composer.fill("Yes, it left the warehouse this morning.");
  await composer.press("Enter");
  await expect(page.getByRole("log", { name: "Conversation transcript" }).getByText("Yes, it left the warehouse this morning.")).toBeInViewport();
  await expect(composer).toHaveValue("");
  await expect(composer).toBeInViewport({ ratio: 1 });
  // The contact sidebar follows the conversation and can still be reached.
  const sidebar = page.getByRole("complementary", { name: "Contact and visitor" });
  await sidebar.getByRole("button", { name: "Create contact" }).scrollIntoViewIfNeeded();
  await expect(sidebar.getByRole("button", { name: "Create contact" })).toBeInViewport();
});

test("on a phone, a contact known only by a long email and an article with a long title fit the screen", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await signIn(page, adminEmail());
  const email = `procurement.department.${Date.now()}@very-long-company-name.example`;
  await page.goto("/contacts");
  await page.getByRole("region", { name: "New contact" }).getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Create contact" }).click();
  await page.getByRole("status").getByRole("link", { name: email }).click();
  await expect(page.getByRole("heading", { level: 1, name: email })).toBeVisible();
  expect(await sidewaysOverflow(page), `the contact's page is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);

  const title = `Launch-window-rescheduling-and-pad-rebooking-procedures-${Date.now()}`;
  await page.goto("/knowledge/new");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Article (Markdown)").fill("How to move a launch.");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  expect(await sidewaysOverflow(page), `the article's page is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
});

/** Whether the element's text is cut (an ellipsis) rather than shown whole. */
const isCut = (locator: Locator) => locator.evaluate((el) => el.scrollWidth > el.clientWidth);

test("on a phone, a long label name ends in an ellipsis in its chips, and a long status tag stays one line inside the row", async ({ page, playwright }) => {
  const stamp = Date.now();
  // 40 characters (the most a name may have), wide capitals, no space to break at: wider than the phone.
  const longName = `RÜCKERSTATTUNG-KREDITKARTENZAHLUNG-${stamp}`.slice(0, 40);
  const request = await playwright.request.newContext({ baseURL: parleyUrl() });
  const question = `Where did my refund go? ${stamp}`;
  const { conversationId } = await apiVisitorAsksForAPerson(request, await getChatChannelId(request), question);
  await request.dispose();

  await page.setViewportSize(PHONE);
  await signIn(page, adminEmail());
  await page.goto("/settings/labels");
  const add = page.locator("section", { has: page.getByRole("heading", { name: "Add a label" }) });
  await add.getByLabel("Name").fill(longName);
  await add.getByLabel("Colour").selectOption({ label: "Purple" });
  await add.getByRole("button", { name: "Add label" }).click();
  await expect(page.getByRole("status")).toHaveText("The label is added.");
  expect(await sidewaysOverflow(page), `/settings/labels is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  const labelId = readServerDatabase<{ id: string }>("SELECT id FROM labels WHERE name = ?", longName).id;
  writeServerDatabase("INSERT INTO conversation_labels (conversation_id, label_id, added_by, added_at) VALUES (?, ?, NULL, ?)", conversationId, labelId, stamp);
  // Snoozed for weeks: the row's status tag says until when, date and time.
  writeServerDatabase("UPDATE conversations SET snoozed_until = ? WHERE id = ?", stamp + 40 * 86_400_000, conversationId);

  await page.goto("/inbox?view=snoozed");
  const row = page.getByRole("link").filter({ hasText: question });
  await expect(row).toBeVisible();
  expect(await sidewaysOverflow(page), `the list is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  const rowBox = (await row.boundingBox())!;
  const chip = row.getByRole("list", { name: "Labels" }).getByText(longName);
  const chipBox = (await chip.boundingBox())!;
  expect(chipBox.x + chipBox.width, "the chip ends inside its row").toBeLessThanOrEqual(rowBox.x + rowBox.width + 0.5);
  expect(await isCut(chip), "the long name ends in an ellipsis").toBe(true);
  expect(chipBox.height, "the chip is one line").toBeLessThan(24);
  const tag = row.locator(".tag", { hasText: "snoozed until" });
  const tagBox = (await tag.boundingBox())!;
  expect(tagBox.x + tagBox.width, "the status tag ends inside its row").toBeLessThanOrEqual(rowBox.x + rowBox.width + 0.5);
  expect(tagBox.height, "the status tag is one line").toBeLessThan(24);
  // Who has it and where stay together on one line after the tag, not split over two.
  const owner = row.locator(".conversation-item__meta > *", { hasText: "Unassigned" });
  await expect(owner).toContainText("· Support");
  expect((await owner.boundingBox())!.height, "who and where share one line").toBeLessThan(24);

  // The thread's header: the chip row scrolls sideways, but the chip itself is not wider than the screen.
  await row.click();
  const header = page.locator(".thread__labels").getByText(longName);
  await expect(header).toBeVisible();
  expect((await header.boundingBox())!.width, "the header's chip fits the screen").toBeLessThanOrEqual(PHONE.width - 16);
  expect(await sidewaysOverflow(page), `the thread is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  await page.goto("/inbox?view=snoozed");
  writeServerDatabase("DELETE FROM labels WHERE id = ?", labelId);
});

test("on a phone, Find a step's list of matches hangs under the toolbar, whole and on top, and a row goes to its step", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await signIn(page, demoUsers.marketer);
  await page.goto("/flows/flow_support_triage");
  const canvas = page.getByRole("tabpanel", { name: "Canvas" });
  await expect(canvas.locator(".react-flow__node").first()).toBeVisible();
  const toolbar = page.getByRole("toolbar", { name: "Canvas tools" });
  const find = toolbar.getByRole("combobox", { name: "Find a step" });
  // The support bot's steps about resetting a password.
  await find.fill("password");
  const list = page.getByRole("listbox", { name: "Matching steps" });
  const rows = list.getByRole("option");
  await expect(rows.first()).toBeVisible();
  // The list and the toolbar measured in one go: the toolbar may still be wrapping onto another
  // row as the editor settles (a list measured before it moved once read 24 px above it).
  const [box, bar] = await list.evaluate(
    (l, t) => [l.getBoundingClientRect(), t!.getBoundingClientRect()].map(({ x, y, width, height }) => ({ x, y, width, height })),
    await toolbar.elementHandle(),
  );
  expect(box.x, "the list's left edge").toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, "the list's right edge").toBeLessThanOrEqual(PHONE.width);
  expect(await sidewaysOverflow(page), `the editor is wider than the phone: ${await tooWide(page)}`).toBeLessThanOrEqual(0);
  // Under the toolbar, which scrolls sideways on a phone and would clip a list hung inside it:
  // the first row's middle is what a tap there reaches.
  expect(box.y, "the list's top, against the toolbar's bottom").toBeGreaterThanOrEqual(bar.y + bar.height - 1);
  const first = (await rows.first().boundingBox())!;
  const reached = await page.evaluate(
    ({ x, y }) => document.elementFromPoint(x, y)?.closest('[role="option"]')?.id ?? null,
    { x: first.x + first.width / 2, y: first.y + first.height / 2 },
  );
  expect(reached, "what a tap on the first row reaches").toBe(await rows.first().getAttribute("id"));
  const last = rows.last();
  await last.click();
  await expect(last).toHaveAttribute("aria-current", "true");
});
