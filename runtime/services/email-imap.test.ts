import { describe, expect, it } from "vitest";
import { imapErrorText, imapMailboxKey, imapPlan, imapProblemAfter, imapStatusOf, type ImapStateRow } from "./email-imap.js";

const box = { host: "IMAP.example.com", user: "support@example.com", folder: "INBOX" };
const key = imapMailboxKey(box, "42");

describe("imapMailboxKey", () => {
  it("names a folder by host (any case), user, folder and UIDVALIDITY", () => {
    expect(imapMailboxKey({ ...box, host: "imap.example.com" }, "42")).toBe(key);
    expect(imapMailboxKey(box, "43")).not.toBe(key);
    expect(imapMailboxKey({ ...box, folder: "Support" }, "42")).not.toBe(key);
    expect(imapMailboxKey({ ...box, user: "sales@example.com" }, "42")).not.toBe(key);
  });
});

describe("imapPlan", () => {
  it("takes every UID above the last one of the same mailbox, oldest first, read or not", () => {
    expect(imapPlan({ mailboxKey: key, lastUid: 10 }, key, { newer: [13, 10, 11], unseen: [3] })).toEqual({ catchUp: false, uids: [11, 13], more: false });
  });

  it("ignores the one message a search of `n:*` returns when nothing is newer", () => {
    expect(imapPlan({ mailboxKey: key, lastUid: 10 }, key, { newer: [10], unseen: [] }).uids).toEqual([]);
  });

  it("takes the unseen mail only on a first poll or a new mailbox identity", () => {
    expect(imapPlan({ mailboxKey: null, lastUid: 0 }, key, { newer: [], unseen: [9, 2, 2] })).toEqual({ catchUp: true, uids: [2, 9], more: false });
    expect(imapPlan({ mailboxKey: imapMailboxKey(box, "41"), lastUid: 500 }, key, { newer: [], unseen: [7] })).toEqual({ catchUp: true, uids: [7], more: false });
  });

  it("takes at most `max` a poll and says more is waiting", () => {
    const newer = Array.from({ length: 8 }, (_, i) => i + 1);
    expect(imapPlan({ mailboxKey: key, lastUid: 0 }, key, { newer, unseen: [] }, 5)).toEqual({ catchUp: false, uids: [1, 2, 3, 4, 5], more: true });
    expect(imapPlan({ mailboxKey: key, lastUid: 0 }, key, { newer: newer.slice(0, 5), unseen: [] }, 5).more).toBe(false);
  });
});

describe("the polling status", () => {
  const row = (over: Partial<ImapStateRow>): ImapStateRow => ({ uid_validity: key, last_uid: 3, polled_at: 1000, last_error: null, last_error_at: null, ...over });

  it("is empty before the first poll", () => {
    expect(imapStatusOf(undefined)).toEqual({ checkedAt: null, error: null, note: null });
  });

  it("tells a failure (after the last complete poll) from a note (recorded by one)", () => {
    expect(imapStatusOf(row({ last_error: "login failed", last_error_at: 2000 }))).toEqual({ checkedAt: 1000, error: { message: "login failed", at: 2000 }, note: null });
    expect(imapStatusOf(row({ polled_at: null, last_error: "login failed", last_error_at: 2000 })).error?.message).toBe("login failed");
    expect(imapStatusOf(row({ last_error: "skipped a mail", last_error_at: 1000 }))).toEqual({ checkedAt: 1000, error: null, note: { message: "skipped a mail", at: 1000 } });
  });

  it("records a failure, clears it after a complete poll, and keeps an earlier note until a new one", () => {
    expect(imapProblemAfter(row({}), { at: 5000, failed: "no route" })).toEqual({ last_error: "no route", last_error_at: 5000 });
    expect(imapProblemAfter(row({ last_error: "no route", last_error_at: 2000 }), { at: 5000, notes: [] })).toEqual({ last_error: null, last_error_at: null });
    expect(imapProblemAfter(row({ last_error: "skipped a mail", last_error_at: 900 }), { at: 5000, notes: [] })).toEqual({ last_error: "skipped a mail", last_error_at: 900 });
    expect(imapProblemAfter(row({}), { at: 5000, notes: ["a", "b"] })).toEqual({ last_error: "a; b", last_error_at: 5000 });
  });
});

describe("imapErrorText", () => {
  it("prefers the server's words, then the network's with its code", () => {
    expect(imapErrorText({ message: "Command failed", responseText: "Invalid mailbox name" })).toBe("Invalid mailbox name");
    expect(imapErrorText({ message: "Command failed", authenticationFailed: true })).toBe("login failed: Command failed");
    expect(imapErrorText({ message: "getaddrinfo failed", code: "ENOTFOUND" })).toBe("getaddrinfo failed (ENOTFOUND)");
    expect(imapErrorText("boom")).toBe("boom");
  });
});
