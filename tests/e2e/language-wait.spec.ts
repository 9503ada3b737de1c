/**
 * Waiting for a speaker of the visitor's language (decision 055, sixteenth session) in real
 * Chromium: an admin sets an inbox of this run to wait up to N minutes on Settings → Routing —
 * 61 and 1.5 are refused at the field with nothing stored, 15 is kept after a reload and named in
 * Settings → Inboxes, an empty field removes it — and a conversation held for a German speaker
 * (written to the server's database, names carrying this run's stamp) says so in the inbox list
 * and its thread, with until when.
 */
import { expect, test } from "@playwright/test";
import { adminEmail, createInboxWithMembers, seriousViolations, signIn, writeServerDatabase } from "./helpers.js";

const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;

test("an inbox waits up to N minutes for a speaker: the setting is checked and kept, and a held conversation says for whom and until when", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/");
  const inbox = `Waits ${stamp}`;
  const inboxId = await createInboxWithMembers(page, inbox, []);
  await page.goto("/settings/routing");
  const routing = page.getByRole("region", { name: inbox });
  const wait = routing.getByLabel("Wait for a speaker (minutes)");
  const save = routing.getByRole("button", { name: `Save routing of ${inbox}` });
  await expect(wait).toHaveValue("");
  await routing.getByLabel("Assignment").selectOption("round_robin");
  await routing.getByLabel("Prefer agents who speak the visitor's language").check();

  // Out of range, then not whole: refused at the field, what was typed kept, nothing stored.
  await wait.fill("61");
  await save.click();
  await expect(routing.getByText("a wait is between 0 and 60 minutes")).toBeVisible();
  await expect(wait).toHaveValue("61");
  await expect(wait).toHaveAttribute("aria-invalid", "true");
  await wait.fill("1.5");
  await save.click();
  await expect(routing.getByText("a wait is a whole number of minutes")).toBeVisible();
  await page.reload();
  await expect(wait).toHaveValue("");
  await expect(routing.getByLabel("Assignment")).toHaveValue("manual");

  await routing.getByLabel("Assignment").selectOption("round_robin");
  await routing.getByLabel("Prefer agents who speak the visitor's language").check();
  await wait.fill("15");
  await save.click();
  await expect(routing.getByRole("status")).toHaveText(`Routing of ${inbox} saved.`);
  await page.reload();
  await expect(wait).toHaveValue("15");
  await expect(routing.getByLabel("Prefer agents who speak the visitor's language")).toBeChecked();
  expect(await seriousViolations(page)).toEqual([]);
  await page.goto("/settings/inboxes");
  await expect(
    page
      .getByRole("row")
      .filter({ hasText: inbox })
      .getByRole("cell", { name: "Round-robin among members, the visitor's language first (waiting up to 15 min for a speaker)" }),
  ).toBeVisible();

  // A German visitor's conversation, queued a minute ago, whose inbox's only German speaker is away.
  const now = Date.now();
  const agentId = `usr_wait_${stamp}`;
  const channelId = `chan_wait_${stamp}`;
  const visitorId = `vis_wait_${stamp}`;
  const conversationId = `conv_wait_${stamp}`;
  writeServerDatabase(
    `INSERT INTO users (id, email, name, role, password_hash, created_at, availability, languages) VALUES (?, ?, ?, 'agent', 'x', ?, 'away', '["de"]')`,
    agentId,
    `wait-${stamp}@example.com`,
    `Greta Wait ${stamp}`,
    now,
  );
  writeServerDatabase("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)", inboxId, agentId);
  writeServerDatabase("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES (?, ?, 'chat', ?, ?)", channelId, inboxId, `Chat ${stamp}`, now);
  writeServerDatabase("INSERT INTO visitors (id, channel_id, language, first_seen_at, last_seen_at) VALUES (?, ?, 'de-DE', ?, ?)", visitorId, channelId, now, now);
  const since = now - 60_000;
  writeServerDatabase(
    `INSERT INTO conversations (id, channel_id, inbox_id, visitor_id, status, created_at, updated_at, last_activity_at, waiting_since, queued_at)
     VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)`,
    conversationId,
    channelId,
    inboxId,
    visitorId,
    since,
    since,
    since,
    since,
    since,
  );
  const until = new Date(since + 15 * 60_000).toISOString();

  await page.goto(`/inbox?view=unassigned&inboxId=${encodeURIComponent(inboxId)}`);
  const row = page.locator(`[data-conversation-id="${conversationId}"]`);
  const tag = row.getByText("queued · for a German speaker until");
  await expect(tag).toBeVisible();
  await expect(tag).toHaveAttribute("title", "Only an agent who speaks German (de) takes it until then; after that, anyone available does.");
  await expect(row.locator(`time[datetime="${until}"]`)).toBeVisible();

  await row.getByRole("link").click();
  const where = page.getByText("waiting in the queue for an agent who speaks German (de) until");
  await expect(where).toBeVisible();
  await expect(where.locator(`time[datetime="${until}"]`)).toBeVisible();
});
