import { describe, expect, it } from "vitest";
import {
  attachmentNote,
  fromName,
  judgeRelayError,
  machineMailReason,
  MAX_REFERENCES,
  MAX_TEXT,
  messageIdsIn,
  newText,
  normalizeMessageId,
  outgoingMessageId,
  replyBody,
  replySubject,
  replyThreadHeaders,
  threadIds,
} from "./email-message.js";

describe("Message-IDs", () => {
  it.each([
    ["<a@x.com>", "<a@x.com>"],
    [" a@x.com ", "<a@x.com>"],
    ["<<a@x.com>>", "<a@x.com>"],
    ["", null],
    ["<a b@x>", null],
    [undefined, null],
  ])("normalizes %j to %j", (input, expected) => {
    expect(normalizeMessageId(input)).toBe(expected);
  });

  it("names an outgoing mail the same at every try, and differently for another mail or conversation", () => {
    const id = outgoingMessageId("cv_a", "message:7", "example.com");
    expect(id).toMatch(/^<[0-9a-f]{32}\.parley@example\.com>$/);
    expect(normalizeMessageId(id)).toBe(id);
    expect(outgoingMessageId("cv_a", "message:7", "example.com")).toBe(id);
    expect(outgoingMessageId("cv_a", "message:8", "example.com")).not.toBe(id);
    expect(outgoingMessageId("cv_b", "message:7", "example.com")).not.toBe(id);
    expect(outgoingMessageId("cv_a", "transcript:7", "example.com")).not.toBe(id);
  });

  it("reads every id of a References header, as a string or an array", () => {
    expect(messageIdsIn("<a@x> <b@y>\r\n <c@z>")).toEqual(["<a@x>", "<b@y>", "<c@z>"]);
    expect(messageIdsIn(["<a@x>", "<b@y>"])).toEqual(["<a@x>", "<b@y>"]);
    expect(messageIdsIn(undefined)).toEqual([]);
  });

  it("orders a thread oldest first with In-Reply-To last, each once", () => {
    expect(threadIds("<b@y>", ["<a@x>", "<b@y>"])).toEqual(["<a@x>", "<b@y>"]);
    expect(threadIds("<c@z>", "<a@x> <b@y>")).toEqual(["<a@x>", "<b@y>", "<c@z>"]);
    expect(threadIds(undefined, undefined)).toEqual([]);
  });

  it("writes In-Reply-To as the newest id and keeps References short (first and latest)", () => {
    expect(replyThreadHeaders([])).toEqual({ inReplyTo: null, references: [] });
    expect(replyThreadHeaders(["<a@x>", "<b@x>"])).toEqual({ inReplyTo: "<b@x>", references: ["<a@x>", "<b@x>"] });
    const long = Array.from({ length: 30 }, (_, i) => `<m${i}@x>`);
    const headers = replyThreadHeaders(long);
    expect(headers.references).toHaveLength(MAX_REFERENCES);
    expect(headers.references[0]).toBe("<m0@x>");
    expect(headers.references.at(-1)).toBe("<m29@x>");
    expect(headers.inReplyTo).toBe("<m29@x>");
  });
});

describe("newText", () => {
  it("cuts Gmail's attribution and what follows", () => {
    const mail = "Thanks, that worked!\n\nOn Tue, 3 Mar 2026 at 10:00, Acme Support <support@acme.test> wrote:\n> Try turning it off and on.\n> -- \n> Acme";
    expect(newText(mail)).toBe("Thanks, that worked!");
  });

  it("cuts an attribution wrapped over two lines", () => {
    const mail = "Still broken.\r\n\r\nOn Tue, 3 Mar 2026 at 10:00, Acme Support <\r\nsupport@acme.test> wrote:\r\n> old";
    expect(newText(mail)).toBe("Still broken.");
  });

  it("cuts Outlook's original-message block", () => {
    expect(newText("New words\n\n-----Original Message-----\nFrom: a@b.c\nSent: today\n\nold words")).toBe("New words");
    expect(newText("New words\n\nFrom: Acme <a@b.c>\nSent: Tuesday\nTo: me\n\nold words")).toBe("New words");
  });

  it("drops inline > lines but keeps the answers between them", () => {
    expect(newText("> Which plan?\nThe big one.\n> Since when?\nMonday.")).toBe("The big one.\nMonday.");
  });

  it("keeps the whole text when stripping would leave nothing", () => {
    expect(newText("> only a quote\n> nothing else")).toBe("> only a quote\n> nothing else");
  });

  it("keeps a line that merely starts with On", () => {
    expect(newText("On Monday the app crashed.\nPlease help.")).toBe("On Monday the app crashed.\nPlease help.");
  });

  it("caps very long mail with a note", () => {
    const text = newText("x".repeat(MAX_TEXT + 10));
    expect(text.startsWith("x".repeat(MAX_TEXT))).toBe(true);
    expect(text).toMatch(/was cut\]$/);
  });
});

describe("machineMailReason", () => {
  const person = { envelopeFrom: "ada@example.com", from: "ada@example.com" };
  it("lets a person's mail through", () => {
    expect(machineMailReason(person)).toBeNull();
    expect(machineMailReason({ ...person, autoSubmitted: "no" })).toBeNull();
    expect(machineMailReason({ ...person, precedence: "first-class" })).toBeNull();
    expect(machineMailReason({ ...person, returnPath: "ada@example.com" })).toBeNull();
  });
  it.each([
    [{ autoSubmitted: "auto-replied" }, /Auto-Submitted/],
    [{ autoSubmitted: "auto-generated" }, /Auto-Submitted/],
    [{ precedence: "bulk" }, /Precedence: bulk/],
    [{ precedence: "auto_reply" }, /Precedence/],
    [{ precedence: "Junk" }, /Precedence: junk/],
    [{ envelopeFrom: null }, /empty return path/],
    [{ envelopeFrom: "" }, /empty return path/],
    [{ returnPath: "<>" }, /empty return path/],
    [{ from: "MAILER-DAEMON@mx.example.com" }, /delivery report/],
  ])("drops %j", (change, reason) => {
    expect(machineMailReason({ ...person, ...change })).toMatch(reason);
  });
});

describe("replies", () => {
  it("prefixes Re: once", () => {
    expect(replySubject("Broken login")).toBe("Re: Broken login");
    expect(replySubject("RE: Broken login")).toBe("RE: Broken login");
    expect(replySubject("AW: Frage")).toBe("AW: Frage");
    expect(replySubject("")).toBe("Re: your message");
    expect(replySubject(null)).toBe("Re: your message");
    expect(replySubject("a\r\nBcc: x@y")).toBe("Re: a Bcc: x@y");
  });
  it("names the agent beside the team, and the team alone for the bot", () => {
    expect(fromName("Acme Support", "Ada")).toBe("Ada (Acme Support)");
    expect(fromName("Acme Support", null)).toBe("Acme Support");
    expect(fromName("Acme Support", "  ")).toBe("Acme Support");
  });
  it("appends the signature after the standard separator", () => {
    expect(replyBody("Hi", "Acme\nacme.test")).toBe("Hi\n\n-- \nAcme\nacme.test");
    expect(replyBody("Hi", "")).toBe("Hi");
  });
});

describe("judgeRelayError", () => {
  it("gives up on a 5xx answer and a refused login", () => {
    expect(judgeRelayError({ responseCode: 550, response: "550 5.1.1 no such user" })).toEqual({
      permanent: true,
      reason: "the mail relay refused the reply: 550 5.1.1 no such user",
    });
    expect(judgeRelayError({ code: "EAUTH", message: "Invalid login" }).permanent).toBe(true);
    expect(judgeRelayError({ code: "ETLS", message: "No STARTTLS" })).toEqual({
      permanent: true,
      reason: "the mail relay does not offer the channel's security (check STARTTLS/TLS in its settings): No STARTTLS",
    });
  });
  it("retries a 4xx answer and a connection error", () => {
    expect(judgeRelayError({ responseCode: 451, response: "451 try later" })).toEqual({
      permanent: false,
      reason: "the mail relay asked to try again later: 451 try later",
    });
    const refused = judgeRelayError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ESOCKET" }));
    expect(refused).toEqual({ permanent: false, reason: "could not reach the mail relay: connect ECONNREFUSED 127.0.0.1:1" });
  });
});

describe("attachmentNote", () => {
  it("names each attachment with its size, and the reason beside one that was not stored", () => {
    expect(attachmentNote([])).toBe("");
    expect(
      attachmentNote([
        { name: "a.png", size: 900 },
        { name: null, size: 3 * 1024 * 1024 + 400 * 1024 },
        { name: "film.mov", size: 12 * 1024 * 1024, skipped: "too large: over 10 MB per file" },
      ]),
    ).toBe("[Attachments: a.png (900 B), unnamed (3.4 MB), film.mov (12.0 MB, not stored: too large: over 10 MB per file)]");
    expect(attachmentNote([{ name: "a.png", size: 900 }])).not.toMatch(/not stored/);
  });

  it("counts the files past the first ten, and the ones past the payload's list, saying how many were not stored", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.txt`, size: 2048 }));
    expect(attachmentNote(many)).toMatch(/f9\.txt \(2 KB\) and 2 more\]$/);
    const skippedLater = [...many, { name: "x.bin", size: 1, skipped: "too many files: only 20 are stored per mail" }];
    expect(attachmentNote(skippedLater, 5)).toMatch(/ and 8 more \(6 of them not stored\)\]$/);
    expect(attachmentNote([], 3)).toBe("[Attachments: 3 files (3 of them not stored)]");
  });
});
