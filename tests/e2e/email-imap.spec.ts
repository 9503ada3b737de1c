/**
 * An email channel switched to fetching its team mailbox by IMAP, as an admin does it in real
 * Chromium: the mailbox's fields, an error shown beside the field it is about (and the typed
 * password never sent back), a save that fetches at once — the page then shows the last check
 * and how many mails it brought, and that Parley listens to the mailbox (IMAP IDLE) and fetches
 * the next mail within seconds — and "Check the saved mailbox"; back to forwarding closes the
 * listening connection. hoodiecrow-imap on loopback
 * stands in for the provider's mailbox (the spec's process runs it; Parley's server connects).
 */
import { expect, test } from "@playwright/test";
import { startFakeMailbox, type FakeMailbox } from "../support/fake-imap.js";
import { adminEmail, signIn } from "./helpers.js";

const stamp = Date.now();
const channelName = `Team mailbox ${stamp}`;
const team = `support-${stamp}@acme.test`;

let mailbox: FakeMailbox;

test.beforeAll(async () => {
  mailbox = await startFakeMailbox({
    user: team,
    initial: [
      {
        raw: [
          "From: Ada Lovelace <ada@customer.test>",
          `To: ${team}`,
          `Subject: Fetched by IMAP ${stamp}`,
          `Message-ID: <imap-e2e-${stamp}@customer.test>`,
          "Content-Type: text/plain; charset=utf-8",
          "",
          "Hello from the team's mailbox.",
          "",
        ].join("\r\n"),
      },
    ],
  });
});

test.afterAll(async () => {
  await mailbox?.close();
});

test("an admin switches an email channel to fetching its mailbox by IMAP; errors show beside their fields; the page shows the check", async ({ page }) => {
  // Two waits on the server's own fetching, each given 30 s on a loaded machine.
  test.setTimeout(90_000);
  await signIn(page, adminEmail());
  // An inbox of its own: a team email in Support would change what other specs' replies by email meet.
  const inboxName = `Mailbox tests ${stamp}`;
  await page.goto("/settings/inboxes");
  await page.getByLabel("Name").fill(inboxName);
  await page.getByRole("button", { name: "Create inbox" }).click();
  await expect(page.getByRole("heading", { level: 1, name: inboxName })).toBeVisible();
  await page.goto("/settings/channels");
  const add = page.getByRole("form", { name: "Add a channel" });
  await add.getByRole("radio", { name: /^Email/ }).check();
  await add.getByLabel("Name", { exact: true }).fill(channelName);
  await add.getByLabel("Inbox").selectOption({ label: inboxName });
  await add.getByRole("button", { name: "Add channel" }).click();
  await expect(page.getByRole("heading", { level: 1, name: channelName })).toBeVisible();
  await expect(page).toHaveURL(/\/settings\/channels\/email\/[^/]+$/);

  await page.getByLabel("Team addresses").fill(team);
  await page.getByLabel("Send-as name").fill("Acme Support");
  await page.getByLabel("Send-as address").fill(team);
  await page.getByRole("radio", { name: /^Fetched from a mailbox \(IMAP\)/ }).check();
  await page.getByLabel("IMAP server").fill("127.0.0.1");
  await page.getByLabel("IMAP port").fill("not-a-port");
  await page.getByLabel("IMAP security").selectOption("none");
  await page.getByLabel("Mailbox user").fill(mailbox.user);
  await page.getByLabel("Mailbox password").fill(mailbox.password);
  await page.getByRole("button", { name: "Save", exact: true }).click();

  // The error sits with its field, and what was typed stays (the action never sends a password back: tests/api/email-imap.test.ts).
  await expect(page.getByLabel("IMAP port")).toHaveAccessibleDescription(/A port is a number from 1 to 65535/);
  await expect(page.getByLabel("IMAP port")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("IMAP server")).toHaveValue("127.0.0.1");
  await expect(page.getByRole("radio", { name: /^Fetched from a mailbox \(IMAP\)/ })).toBeChecked();

  await page.getByLabel("IMAP port").fill(String(mailbox.port));
  await page.getByLabel("Mailbox password").fill(mailbox.password);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByLabel("Mailbox password")).toHaveAccessibleDescription(new RegExp(`Stored \\(ends in ${mailbox.password.slice(-4)}\\)`));

  // The save fetched at once: the page (reloaded) says when, and that one mail came in; the server marked it read.
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("status").filter({ hasText: /Last checked .* · 1 new/ })).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 30_000 });
  expect(mailbox.messages()[0]?.flags).toContain("\\Seen");

  // The server offers IDLE: Parley listens, and fetches the next mail within seconds (that it is IDLE's
  // doing and not the minute's poll, with the poll set to an hour: tests/api/email-imap-idle.test.ts).
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("status").filter({ hasText: /Listening for new mail \(IMAP IDLE\) since/ })).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 30_000 });
  const subject = `Arrives at once ${stamp}`;
  mailbox.deliver(
    [
      "From: Grace Hopper <grace@customer.test>",
      `To: ${team}`,
      `Subject: ${subject}`,
      `Message-ID: <imap-e2e-idle-${stamp}@customer.test>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Told by IDLE, not found by the poll.",
      "",
    ].join("\r\n"),
  );
  await expect.poll(() => mailbox.messages()[1]?.flags.includes("\\Seen") ?? false, { timeout: 15_000 }).toBe(true);

  await page.getByRole("button", { name: "Check the saved mailbox" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Signed in and opened the folder." })).toBeVisible();

  // Back to forwarding: polling stops, and the mailbox's settings are kept.
  await page.getByRole("radio", { name: /^Forwarded to Parley’s SMTP server/ }).check();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByLabel("IMAP server")).toHaveValue("127.0.0.1");
  // …and closes the listening connection.
  await expect.poll(() => mailbox.connections(), { timeout: 10_000 }).toBe(0);
});
