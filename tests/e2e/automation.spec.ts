/**
 * Automation rules, the way an admin uses them: in Settings → Automation a rule without an
 * action is refused on its list; then "when the visitor writes, if the message contains <stamp>,
 * add label <stamp>, assign to <a person> and comment" is added (more rows through "Add rows");
 * a visitor's conversation through the public chat API that writes the stamp gets the label,
 * the assignee and the comment within a few seconds, recorded as Automation's; its thread names the rule on each change's
 * line and the comment, linked to the rule (decision 044); the rule's line says it ran and its recent runs link the
 * conversation; disabling it is one button. A time rule ("the visitor has waited for 2 minutes") refuses a wait over 90 days
 * on its field, previews the conversation it would act on (nothing saved), is listed with its wait, and acts on a
 * conversation whose visitor already waited longer (the wait
 * moved back in the server's database: specs cannot wait minutes), shown in its recent runs. An "unassigned for" rule
 * refuses a missing wait, is listed with its wait and acts once on a conversation handed to the inbox with nobody
 * assigned (its spell's start moved back likewise). A time rule counting business hours
 * only says so on its line and keeps the option in its form. A "Response target missed" rule
 * takes the which-target condition (refused on another trigger) and shows both on its line and in its form (it firing on an
 * escalation is runtime/services/automation.test.ts's: a spec would have to set response targets on an inbox others share).
 *
 * Assumes the demo seed: the support triage bot on /help pages hands visitors to the Support inbox.
 */
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import { adminEmail, apiVisitorAsksForAPerson, getChatChannelId, parleyUrl, readServerDatabase, seriousViolations, signedInPage, signIn, writeServerDatabase } from "./helpers.js";

test.describe.configure({ mode: "serial" });

const stamp = Date.now();
const labelName = `Auto ${stamp}`;
const ruleName = `Tag ${stamp}`;
const word = `zebra${stamp}`;

let request: APIRequestContext;

test.beforeAll(async ({ playwright }) => {
  request = await playwright.request.newContext({ baseURL: parleyUrl() });
});
test.afterAll(async () => {
  await request?.dispose();
});

/** Waits for the conversation's spell to start, then moves its start `ms` back (a spec cannot wait minutes out). */
const spellStartedAgo = async (conversationId: string, column: "waiting_since" | "unassigned_since", ms: number) => {
  await expect
    .poll(() => readServerDatabase<{ since: number | null }>(`SELECT ${column} AS since FROM conversations WHERE id = ?`, conversationId).since, { timeout: 10_000 })
    .not.toBeNull();
  writeServerDatabase(`UPDATE conversations SET ${column} = ${column} - ? WHERE id = ?`, ms, conversationId);
};

const addSection = (page: Page) => page.locator("section", { has: page.getByRole("heading", { name: "Add a rule" }) });

test("an admin adds a rule and a visitor's conversation gets its label and assignee", async ({ page }) => {
  await signIn(page, adminEmail());

  // A label of this run's own, made where admins make labels.
  await page.goto("/settings/labels");
  const addLabel = page.locator("section", { has: page.getByRole("heading", { name: "Add a label" }) });
  await addLabel.getByLabel("Name").fill(labelName);
  await addLabel.getByRole("button", { name: "Add label" }).click();
  await expect(page.getByRole("status")).toHaveText("The label is added.");

  await page.goto("/settings");
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Automation" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Automation" })).toBeVisible();
  const add = addSection(page);

  // No action: refused on the actions list, nothing stored.
  await add.getByLabel("Name").fill(ruleName);
  await add.getByRole("button", { name: "Add rule" }).click();
  await expect(addSection(page).getByText("Add at least one action", { exact: true })).toBeVisible();
  await expect(page.getByRole("listitem", { name: ruleName })).toHaveCount(0);

  const form = addSection(page);
  await form.getByLabel("Name").fill(ruleName);
  await form.getByLabel("When").selectOption({ label: "The visitor (or email sender) writes" });
  await form.getByLabel("Condition 1").selectOption({ label: "The visitor's message contains any of" });
  await form.getByLabel("Words").first().fill(`${word}, another-word-${stamp}`);
  await form.getByLabel("Action 1").selectOption({ label: `Add label ${labelName}` });
  const assignOption = form.getByLabel("Action 2").locator("option", { hasText: /^Assign to (?!team )/ }).first();
  const assignLabel = (await assignOption.textContent())!;
  const assigneeName = assignLabel.replace(/^Assign to /, "");
  await form.getByLabel("Action 2").selectOption({ label: assignLabel });
  // "Add rows" gives two more of each, keeping what was chosen.
  const actionRows = form.getByRole("combobox", { name: /^Action \d+$/ });
  const before = await actionRows.count();
  await form.getByRole("button", { name: "Add rows" }).click();
  await expect(actionRows).toHaveCount(before + 2);
  await expect(form.getByLabel("Action 2")).toHaveValue(/^assign:/);
  await form.getByLabel("Action 3").selectOption({ label: "Add an internal comment (its text beside)" });
  await form.getByLabel("Comment text").nth(2).fill(`Tagged ${stamp}`);
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  const rule = page.getByRole("listitem", { name: ruleName });
  await expect(rule).toContainText("Enabled");
  await expect(rule).toContainText(`Add label ${labelName}`);
  await expect(rule).toContainText("Not run yet");
  expect(await seriousViolations(page)).toEqual([]);

  // A visitor writes the word through the public chat API (after the bot hands them over).
  const visit = await apiVisitorAsksForAPerson(request, await getChatChannelId(request), `Hello, about ${word.toUpperCase()} please`);
  await expect
    .poll(
      () =>
        readServerDatabase<{ n: number }>(
          "SELECT COUNT(*) AS n FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = ? AND l.name = ?",
          visit.conversationId,
          labelName,
        ).n,
      { timeout: 10_000 },
    )
    .toBe(1);
  await expect
    .poll(
      () =>
        readServerDatabase<{ name: string | null }>(
          "SELECT COALESCE(u.display_name, u.name) AS name FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = ?",
          visit.conversationId,
        ).name,
      { timeout: 10_000 },
    )
    .toBe(assigneeName);
  const byAutomation = readServerDatabase<{ n: number }>(
    "SELECT COUNT(*) AS n FROM events e JOIN users u ON u.id = e.user_id WHERE e.conversation_id = ? AND e.type = 'label_added' AND u.name = 'Automation'",
    visit.conversationId,
  );
  expect(byAutomation.n).toBe(1);
  const comment = readServerDatabase<{ n: number }>(
    "SELECT COUNT(*) AS n FROM messages m JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ? AND m.is_internal = 1 AND u.name = 'Automation' AND m.text = ?",
    visit.conversationId,
    `Tagged ${stamp}`,
  );
  expect(comment.n).toBe(1);

  // The thread shows the label chip like any other, and says which rule acted (decision 044):
  // a line per change, and the comment's byline; an admin's links go to the rule.
  await page.goto(`/inbox/${visit.conversationId}`);
  await expect(page.locator(".thread__head")).toContainText(labelName);
  const ruleId = readServerDatabase<{ id: string }>("SELECT id FROM automation_rules WHERE name = ?", ruleName).id;
  const thread = page.getByRole("log");
  await expect(thread.getByText(`Label “${labelName}” added by rule “${ruleName}”`)).toBeVisible();
  await expect(thread.getByText(`Assigned to ${assigneeName} by rule “${ruleName}”`)).toBeVisible();
  const toRule = thread.getByRole("link", { name: ruleName });
  await expect(toRule).toHaveCount(3);
  await expect(toRule.first()).toHaveAttribute("href", `/settings/automation#rule-${ruleId}`);
  await toRule.first().click();
  await expect(page).toHaveURL(new RegExp(`/settings/automation#rule-${ruleId}$`));
  await expect(page.getByRole("listitem", { name: ruleName })).toBeVisible();

  // The rule's line says it ran; one button turns it off.
  await page.goto("/settings/automation");
  await expect(rule).toContainText("Last ran");
  const runs = rule.getByRole("list", { name: `Recent runs of ${ruleName}` });
  await expect(runs.getByRole("listitem")).toHaveCount(1);
  await expect(runs).toContainText("Done");
  await expect(runs.getByRole("link", { name: "Conversation" })).toHaveAttribute("href", `/inbox/${visit.conversationId}`);
  await rule.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is disabled.");
  await expect(page.getByRole("listitem", { name: ruleName })).toContainText("Disabled");
});

test("without JavaScript, an admin adds a rule, moves it up and deletes it", async ({ browser }) => {
  const contexts: BrowserContext[] = [];
  const page = await signedInPage(browser, adminEmail(), contexts, { javaScriptEnabled: false });
  await page.goto("/settings/automation");
  const name = `Close ${stamp}`;
  const form = addSection(page);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Enabled").uncheck();
  await form.getByLabel("When").selectOption({ label: "A conversation is created (any channel)" });
  await form.getByLabel("Condition 1").selectOption({ label: "Channel kind is Email" });
  await form.getByLabel("Action 1").selectOption({ label: "Close the conversation" });
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  // The page may still be arriving after its status (no JavaScript: a streamed document): the new, last rule is in once it is.
  await expect(page.getByRole("listitem", { name })).toBeVisible();
  const names = () => page.locator(".rule-list > li").evaluateAll((items) => items.map((li) => li.getAttribute("aria-label")));
  const order = await names();
  expect(order.indexOf(name)).toBe(order.length - 1);
  expect(order.indexOf(ruleName)).toBeLessThan(order.indexOf(name));

  await page.getByRole("listitem", { name }).getByRole("button", { name: "Move up" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule moved up.");
  await expect(page.getByRole("listitem", { name: ruleName })).toBeVisible();
  await expect(page.getByRole("listitem", { name })).toBeVisible();
  const moved = await names();
  expect(moved.indexOf(name)).toBe(order.length - 2);

  const rule = page.getByRole("listitem", { name });
  await expect(rule).toContainText("Disabled");
  await rule.locator("summary").click();
  await rule.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is deleted.");
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);
  for (const context of contexts) await context.close();
});

test("a time rule acts on a conversation whose visitor has waited longer than its wait", async ({ page }) => {
  const late = `late${stamp}`;
  const name = `Waited ${stamp}`;
  const note = `Waited too long ${stamp}`;
  const visit = await apiVisitorAsksForAPerson(request, await getChatChannelId(request), `Still there? ${late}`);
  // The visitor has waited 3 minutes (a spec cannot wait them out).
  await spellStartedAgo(visit.conversationId, "waiting_since", 180_000);

  await signIn(page, adminEmail());
  await page.goto("/settings/automation");
  const fill = async (amount: string) => {
    const form = addSection(page);
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("When").selectOption({ label: "The visitor has waited for a reply for … (the wait below)" });
    await form.getByLabel("For", { exact: true }).fill(amount);
    await form.getByLabel("Unit", { exact: true }).selectOption("days");
    await form.getByLabel("Condition 1").selectOption({ label: "The visitor's message contains any of" });
    await form.getByLabel("Words").first().fill(late);
    await form.getByLabel("Action 1").selectOption({ label: "Add an internal comment (its text beside)" });
    await form.getByLabel("Comment text").first().fill(note);
    return form;
  };
  // Over 90 days: refused on the wait, nothing stored.
  await (await fill("91")).getByRole("button", { name: "Add rule" }).click();
  await expect(addSection(page).getByText("A wait is between 1 minute and 90 days (90 days)", { exact: true })).toBeVisible();
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);

  const form = await fill("2");
  await form.getByLabel("Unit", { exact: true }).selectOption("minutes");
  // A dry run first: the conversation it would act on now, and nothing saved (decision 044).
  await form.getByRole("button", { name: "Preview" }).click();
  const wouldAct = addSection(page).getByRole("list", { name: "Conversations the rule would act on now" });
  await expect(wouldAct.getByRole("link")).toHaveCount(1);
  await expect(wouldAct.getByRole("link")).toHaveAttribute("href", `/inbox/${visit.conversationId}`);
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM automation_rules WHERE name = ?", name).n).toBe(0);
  await addSection(page).getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  const rule = page.getByRole("listitem", { name });
  await expect(rule).toContainText("When: the visitor has waited for a reply for 2 minutes");

  await expect
    .poll(
      () =>
        readServerDatabase<{ n: number }>(
          "SELECT COUNT(*) AS n FROM messages m JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ? AND m.is_internal = 1 AND u.name = 'Automation' AND m.text = ?",
          visit.conversationId,
          note,
        ).n,
      { timeout: 10_000 },
    )
    .toBe(1);
  await page.reload();
  const runs = rule.getByRole("list", { name: `Recent runs of ${name}` });
  await expect(runs.getByRole("listitem")).toHaveCount(1);
  await expect(runs).toContainText("Done");
  await expect(runs.getByRole("link", { name: "Conversation" })).toHaveAttribute("href", `/inbox/${visit.conversationId}`);
  expect(await seriousViolations(page)).toEqual([]);
  await rule.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is disabled.");
});

test("an “unassigned for” rule acts once on a conversation nobody has taken", async ({ page }) => {
  const alone = `alone${stamp}`;
  const name = `Nobody took it ${stamp}`;
  const note = `Nobody for 10 minutes ${stamp}`;
  const visit = await apiVisitorAsksForAPerson(request, await getChatChannelId(request), `Anyone? ${alone}`);
  // Handed to the inbox with nobody assigned, its spell starts (migration 47); nobody for 15 minutes.
  await spellStartedAgo(visit.conversationId, "unassigned_since", 900_000);

  await signIn(page, adminEmail());
  await page.goto("/settings/automation");
  const form = addSection(page);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("When").selectOption({ label: "A conversation has had nobody assigned for … (the wait below)" });
  await form.getByLabel("Condition 1").selectOption({ label: "The visitor's message contains any of" });
  await form.getByLabel("Words").first().fill(alone);
  await form.getByLabel("Action 1").selectOption({ label: "Add an internal comment (its text beside)" });
  await form.getByLabel("Comment text").first().fill(note);
  // No wait: refused at the wait, nothing stored.
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(addSection(page).getByText("enter a whole number")).toBeVisible();
  await expect(addSection(page).getByLabel("For", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);
  expect(readServerDatabase<{ n: number }>("SELECT COUNT(*) AS n FROM automation_rules WHERE name = ?", name).n).toBe(0);
  await addSection(page).getByLabel("For", { exact: true }).fill("10");
  await addSection(page).getByLabel("Unit", { exact: true }).selectOption("minutes");
  await addSection(page).getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  const rule = page.getByRole("listitem", { name });
  await expect(rule).toContainText("When: a conversation has had nobody assigned for 10 minutes");

  const notes = () =>
    readServerDatabase<{ n: number }>(
      "SELECT COUNT(*) AS n FROM messages m JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ? AND m.is_internal = 1 AND u.name = 'Automation' AND m.text = ?",
      visit.conversationId,
      note,
    ).n;
  await expect.poll(notes, { timeout: 10_000 }).toBe(1);
  await page.reload();
  await expect(rule.getByRole("list", { name: `Recent runs of ${name}` }).getByRole("listitem")).toHaveCount(1);
  // Once per spell: the passes after it leave the conversation alone.
  expect(notes()).toBe(1);
  expect(await seriousViolations(page)).toEqual([]);
  await rule.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is disabled.");
});

test("a time rule can count business hours only, shown on its line and kept in its form", async ({ page }) => {
  const name = `Business ${stamp}`;
  await signIn(page, adminEmail());
  await page.goto("/settings/automation");
  const form = addSection(page);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Enabled").uncheck();
  await form.getByLabel("When").selectOption({ label: "A conversation has been pending for … (the wait below)" });
  await form.getByLabel("For", { exact: true }).fill("3");
  await form.getByLabel("Unit", { exact: true }).selectOption("days");
  await form.getByLabel("Count business hours only").check();
  await expect(form.getByText("Without business hours set, the wait counts around the clock.")).toBeVisible();
  await form.getByLabel("Action 1").selectOption({ label: "Close the conversation" });
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  const rule = page.getByRole("listitem", { name });
  await expect(rule).toContainText("When: a conversation has been pending for 3 business days");
  await rule.locator("summary").click();
  await expect(rule.getByLabel("Count business hours only")).toBeChecked();
  // Unticked and saved: the wait counts around the clock again.
  await rule.getByLabel("Count business hours only").uncheck();
  await rule.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  await expect(rule).toContainText("When: a conversation has been pending for 3 days");
  expect(await seriousViolations(page)).toEqual([]);
  // Its form may still be open after the save (it was opened by hand).
  if (!(await rule.locator("details").evaluate((d) => (d as HTMLDetailsElement).open))) await rule.locator("summary").click();
  await rule.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is deleted.");
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);
});

test("an escalation rule on “Response target missed”: the which-target condition only on that trigger", async ({ page }) => {
  const name = `Escalate ${stamp}`;
  await signIn(page, adminEmail());
  await page.goto("/settings/automation");
  const fill = async (trigger: string) => {
    const form = addSection(page);
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("When").selectOption({ label: trigger });
    await form.getByLabel("Condition 1").selectOption({ label: "The next reply target was missed" });
    await form.getByLabel("Action 1").selectOption({ label: "Add an internal comment (its text beside)" });
    await form.getByLabel("Comment text").first().fill(`Late reply ${stamp}`);
    return form;
  };
  // On another trigger the condition is refused on its row, and nothing is stored.
  await (await fill("A conversation is created (any channel)")).getByRole("button", { name: "Add rule" }).click();
  await expect(addSection(page).getByText("only the “Response target missed” trigger has a missed target")).toBeVisible();
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);

  await (await fill("Response target missed (a waiting conversation falls overdue)")).getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is saved.");
  const rule = page.getByRole("listitem", { name });
  await expect(rule).toContainText("When: response target missed (a waiting conversation falls overdue) · If: The next reply target was missed");
  await rule.locator("summary").click();
  await expect(rule.getByLabel("When")).toHaveValue("response-overdue");
  await expect(rule.getByLabel("Condition 1")).toHaveValue("missed-target-is:next_reply");
  expect(await seriousViolations(page)).toEqual([]);
  await rule.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status")).toHaveText("The rule is deleted.");
  await expect(page.getByRole("listitem", { name })).toHaveCount(0);
});
