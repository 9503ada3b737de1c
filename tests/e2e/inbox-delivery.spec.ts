/**
 * A reply to an email conversation that the mail relay refuses, as the admin sees and mends it in
 * real Chromium: the admin adds an email channel whose outgoing relay is a local smtp-server
 * standing in for the team's relay (it answers 550 to every recipient at first); a customer's
 * mail (with a Cc and an attachment) reaches Parley's own SMTP server; the thread shows its
 * headers, the reply shows "Not delivered — <the relay's reason>" without a reload, and after the
 * relay accepts again, Retry sends it: "Sent", and the relay has the mail. A second reply carries
 * a file attached in the composer (listed, one removed again before sending): it is listed under
 * the sent reply with its download link, and the relay's mail has it.
 *
 * Needs the server's inbound SMTP: playwright.config.ts gives the server it starts a free port
 * (PARLEY_E2E_SMTP_PORT); against a server started by hand (PARLEY_URL), set SMTP_PORT to its port.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { addTeamEmail, adminEmail, inboxLive, signIn } from "./helpers.js";

const smtpPort = Number(process.env.PARLEY_E2E_SMTP_PORT ?? process.env.SMTP_PORT ?? "");
const stamp = Date.now();
const TEAM = `support-${stamp}@acme.test`;
const CUSTOMER = { name: "Ann Customer", address: `ann-${stamp}@customer.test` };
const SUBJECT = `Invoice ${stamp} is wrong`;
const REPLY = `We are fixing invoice ${stamp}.`;
const FILE_REPLY = `The corrected invoice ${stamp} is attached.`;

// ---- the stand-in for the team's outgoing relay ----
let refuse = true;
const relayed: Array<{ to: string[]; raw: string }> = [];
let relay: SMTPServer;
let relayPort = 0;

test.beforeAll(async () => {
  relay = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refuse) return callback(Object.assign(new Error("5.1.1 mailbox unavailable"), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        relayed.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()));
  relayPort = (relay.server.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

test("a reply the relay refuses shows why under it; after the relay is fixed, Retry sends it", async ({ page }) => {
  // playwright.config.ts gives the server it starts an inbound SMTP port; a server started by hand needs SMTP_PORT.
  expect(Number.isInteger(smtpPort) && smtpPort > 0, "the server's inbound SMTP port: set SMTP_PORT (or PARLEY_E2E_SMTP_PORT)").toBe(true);

  // The admin adds an email channel and points its relay at the stand-in.
  await signIn(page, adminEmail());
  await page.goto("/");
  await addTeamEmail(page, { name: `Support mail ${stamp}`, inbox: "Support", address: TEAM, relayPort });
  // The page says where to forward the mail, and that this server (no certificate given) does not encrypt.
  await expect(page.getByText(`Forward mail for ${TEAM} to Parley’s SMTP server at`)).toBeVisible();
  await expect(page.getByText(/The server offers no encryption \(no SMTP_TLS_CERT \/ SMTP_TLS_KEY\)/)).toBeVisible();

  // The customer writes to the team address; the mail reaches Parley's SMTP server.
  const mailer = nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true, connectionTimeout: 5000 });
  await mailer.sendMail({
    from: CUSTOMER,
    to: TEAM,
    cc: [{ name: "Ann's Boss", address: `boss-${stamp}@customer.test` }],
    subject: SUBJECT,
    text: "The total on my invoice is wrong.",
    attachments: [{ filename: "invoice.txt", content: "total: 100\n".repeat(100) }],
  });

  // The agent opens it: the mail's headers and attachment are in the thread, the subject in the sidebar.
  await page.goto("/inbox");
  await page.getByRole("list", { name: /conversations$/ }).getByRole("link", { name: new RegExp(CUSTOMER.name) }).first().click();
  const transcript = page.getByRole("log", { name: "Conversation transcript" });
  const headers = transcript.getByRole("definition");
  await expect(headers.filter({ hasText: SUBJECT })).toBeVisible();
  await expect(headers.filter({ hasText: `${CUSTOMER.name} <${CUSTOMER.address}>` })).toBeVisible();
  await expect(headers.filter({ hasText: `Ann's Boss <boss-${stamp}@customer.test>` })).toBeVisible();
  await expect(transcript.getByRole("list", { name: "Attachments" })).toContainText(/invoice\.txt.*\(1\.1 KB\)/);
  const sidebar = page.getByRole("complementary", { name: "Contact and visitor" });
  await expect(sidebar.getByRole("term").filter({ hasText: /^Subject$/ })).toBeVisible();
  await expect(sidebar.getByRole("term").filter({ hasText: /^(Started on|Current page)$/ })).toHaveCount(0);
  await inboxLive(page);

  // The reply: the relay answers 550, and the thread says so without a reload.
  await page.getByRole("textbox", { name: "Reply to the visitor" }).fill(REPLY);
  await page.getByRole("button", { name: "Send reply" }).click();
  const sentReply = transcript.getByRole("listitem").filter({ hasText: REPLY });
  const state = sentReply.getByRole("status");
  await expect(state).toHaveText(/^Not delivered — the mail relay refused the reply: 550 5\.1\.1 mailbox unavailable/, { timeout: 15_000 });
  const retry = sentReply.getByRole("button", { name: "Retry sending this message" });
  // The thread follows the line that appeared under its last message.
  await expect(retry).toBeInViewport();
  expect(relayed).toEqual([]);
  const axe = await new AxeBuilder({ page }).include(".messages").analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // The relay is fixed; Retry sends it, and the thread updates by itself.
  refuse = false;
  await retry.click();
  await expect(state).toHaveText(/^Sent · /, { timeout: 15_000 });
  await expect(retry).toHaveCount(0);
  expect(relayed).toHaveLength(1);
  expect(relayed[0]!.to).toEqual([CUSTOMER.address]);
  expect(relayed[0]!.raw).toContain(REPLY);

  // A reply with a file: chosen, listed with its size (a second one removed again), sent with the mail.
  await page.getByLabel("Attach files").setInputFiles([
    { name: "corrected.txt", mimeType: "text/plain", buffer: Buffer.from("total: 90\n") },
    { name: "draft.txt", mimeType: "text/plain", buffer: Buffer.from("not this one\n") },
  ]);
  const chosen = page.getByRole("list", { name: "Files to send" });
  await expect(chosen.getByRole("listitem")).toHaveCount(2);
  await chosen.getByRole("button", { name: "Remove draft.txt" }).click();
  await expect(chosen.getByRole("listitem")).toHaveCount(1);
  await expect(chosen).toContainText(/corrected\.txt.*\(10 B\)/);
  const composerAxe = await new AxeBuilder({ page }).include(".composer").analyze();
  expect(composerAxe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.getByRole("textbox", { name: "Reply to the visitor" }).fill(FILE_REPLY);
  await page.getByRole("button", { name: "Send reply" }).click();
  const fileReply = transcript.getByRole("listitem").filter({ hasText: FILE_REPLY });
  await expect(fileReply.getByRole("status")).toHaveText(/^Sent · /, { timeout: 15_000 });
  await expect(fileReply.getByRole("list", { name: "Attachments" }).getByRole("link", { name: "corrected.txt" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Files to send" })).toHaveCount(0);
  expect(relayed).toHaveLength(2);
  expect(relayed[1]!.raw).toContain(FILE_REPLY);
  expect(relayed[1]!.raw).toMatch(/filename="?corrected\.txt"?/);
  expect(relayed[1]!.raw).not.toContain("draft.txt");
});
