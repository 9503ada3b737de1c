import { describe, expect, it } from "vitest";
import { followUpNotes } from "./follow-up-logic.js";

const messages = [
  { id: "1", author: "visitor" as const, internal: false },
  { id: "2", author: "agent" as const, internal: false },
  { id: "3", author: "agent" as const, internal: false },
  { id: "4", author: "agent" as const, internal: true },
];
const none = { seen: null, emails: [], waiting: null, minutes: 5 };

describe("followUpNotes", () => {
  it("says Seen under the newest reply once the visitor's mark reaches it", () => {
    const notes = followUpNotes(messages, { ...none, seen: { messageId: "3", at: 50 } }, "v@x.test");
    expect([...notes]).toEqual([["3", [{ kind: "seen", at: 50 }]]]);
  });

  it("says when an unseen reply will be emailed, or why it will not", () => {
    const waiting = { ...none, seen: { messageId: "2", at: 5 }, waiting: { dueAt: 900, attempts: 0, lastError: null } };
    expect(followUpNotes(messages, waiting, "v@x.test").get("3")).toEqual([{ kind: "unseen", emailAt: 900, why: null, lastError: null }]);
    expect(followUpNotes(messages, waiting, null).get("3")).toEqual([{ kind: "unseen", emailAt: null, why: "no_address", lastError: null }]);
    expect(followUpNotes(messages, { ...waiting, minutes: 0, waiting: null }, "v@x.test").get("3")).toEqual([
      { kind: "unseen", emailAt: null, why: "off", lastError: null },
    ]);
    const retrying = { ...waiting, waiting: { dueAt: 1200, attempts: 2, lastError: "connection refused" } };
    expect(followUpNotes(messages, retrying, "v@x.test").get("3")).toEqual([{ kind: "unseen", emailAt: 1200, why: null, lastError: "connection refused" }]);
  });

  it("puts each follow-up email under the newest reply it carried, and nothing more while it covers the newest", () => {
    const emailed = {
      ...none,
      emails: [
        { fromMessageId: "2", throughMessageId: "2", status: "not_sent" as const, reason: "the visitor left no email address", recipient: null, at: 10 },
        { fromMessageId: "3", throughMessageId: "3", status: "sent" as const, reason: null, recipient: "v@x.test", at: 20 },
      ],
    };
    const notes = followUpNotes(messages, emailed, "v@x.test");
    expect(notes.get("2")).toEqual([{ kind: "not_emailed", reason: "the visitor left no email address", at: 10 }]);
    expect(notes.get("3")).toEqual([{ kind: "emailed", to: "v@x.test", at: 20 }]);
    // Seen after the email: both lines.
    expect(followUpNotes(messages, { ...emailed, seen: { messageId: "3", at: 30 } }, "v@x.test").get("3")).toEqual([
      { kind: "emailed", to: "v@x.test", at: 20 },
      { kind: "seen", at: 30 },
    ]);
  });

  it("says nothing without an agent reply; internal comments are not replies", () => {
    expect(followUpNotes([messages[0]!], none, "v@x.test").size).toBe(0);
    expect(followUpNotes([messages[0]!, messages[3]!], none, "v@x.test").size).toBe(0);
  });
});
