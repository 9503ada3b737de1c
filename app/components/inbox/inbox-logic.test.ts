import { describe, expect, it } from "vitest";
import { enterAction, matchSavedReplies, newClientMessageId, shortcutQuery } from "./composer-logic.js";
import { dueLabel, fieldLabel, handoffClosedLine, languageWaitWords, queuedTag, queueLine, shortDuration, shortUrl, waitingLabel } from "./labels.js";
import { needsRefresh, noticeFor, parseLiveMessage, presenceOf, shouldNotify, typingOf, viewersOf, type LiveMessage, type NotifySettings } from "./live-logic.js";

describe("saved replies in the composer", () => {
  const replies = [
    { shortcut: "refund", title: "Refund policy" },
    { shortcut: "ref", title: "Reference" },
    { shortcut: "thanks", title: "Thank you for waiting" },
  ];
  it("match only a composer that holds /shortcut, exact first", () => {
    expect(matchSavedReplies("/ref", replies).map((r) => r.shortcut)).toEqual(["ref", "refund"]);
    expect(matchSavedReplies("/wait", replies).map((r) => r.shortcut)).toEqual(["thanks"]);
    expect(matchSavedReplies("/", replies)).toHaveLength(3);
    expect(matchSavedReplies("see /ref", replies)).toEqual([]);
    expect(matchSavedReplies("/ref now", replies)).toEqual([]);
    expect(shortcutQuery(" /Ref ")).toBe("ref");
    expect(shortcutQuery("/")).toBe("");
    expect(shortcutQuery("/ref now")).toBeNull();
  });

  it("Enter picks a suggestion, sends, or with Shift (or while composing) starts a line", () => {
    expect(enterAction({ shiftKey: false, isComposing: false }, 2)).toBe("pick");
    expect(enterAction({ shiftKey: false, isComposing: false }, 0)).toBe("send");
    expect(enterAction({ shiftKey: true, isComposing: false }, 0)).toBe("newline");
    expect(enterAction({ shiftKey: false, isComposing: true }, 0)).toBe("newline");
    // A "/shortcut" that matches nothing is not sent to the visitor by Enter.
    expect(enterAction({ shiftKey: false, isComposing: false }, 0, true)).toBe("ignore");
    expect(enterAction({ shiftKey: true, isComposing: false }, 0, true)).toBe("newline");
  });

  it("gives every send its own id", () => {
    const ids = new Set(Array.from({ length: 50 }, newClientMessageId));
    expect(ids.size).toBe(50);
  });
});

describe("labels", () => {
  it("say how long ago, shortly", () => {
    const now = 1_000_000_000;
    expect(shortDuration(now - 10_000, now)).toBe("just now");
    expect(shortDuration(now - 5 * 60_000, now)).toBe("5 min");
    expect(shortDuration(now - 3 * 3_600_000, now)).toBe("3 h");
    expect(shortDuration(now - 72 * 3_600_000, now)).toBe("3 d");
    expect(waitingLabel(now - 12 * 60_000, now)).toBe("waiting 12 min");
  });
  it("say where a queued conversation stands: its closed team's next opening, on the team's clock", () => {
    const sales = { id: "team_sales", name: "Sales" };
    expect(queueLine({ queued: false, team: sales }, null)).toBe("");
    expect(queueLine({ queued: true, team: null }, null)).toBe(" · waiting in the queue for an available agent");
    expect(queueLine({ queued: true, team: sales }, null)).toBe(" · waiting in the queue for an available agent");
    // Monday 30 November 2026, 08:00 UTC = 09:00 in Berlin.
    expect(queueLine({ queued: true, team: sales }, { opensAt: Date.UTC(2026, 10, 30, 8), timezone: "Europe/Berlin" })).toBe(
      " · waiting in the queue: Sales is closed until Mon 30 November at 09:00 (Europe/Berlin)",
    );
    expect(queueLine({ queued: true, team: sales }, { opensAt: null, timezone: "UTC" })).toBe(" · waiting in the queue: Sales's hours never open");
  });
  it("say a queued conversation waits for a speaker of its visitor's language, naming the language", () => {
    expect(languageWaitWords("de")).toEqual({
      tag: "queued · for a German speaker until",
      line: " · waiting in the queue for an agent who speaks German (de) until",
      title: "Only an agent who speaks German (de) takes it until then; after that, anyone available does.",
    });
    // A tag Intl does not name is shown as it is.
    expect(languageWaitWords("qaa").tag).toBe("queued · for a qaa speaker until");
  });
  it("tag a queued list row with its closed team, the opening as the title", () => {
    expect(queuedTag(null, undefined)).toEqual({ text: "queued" });
    expect(queuedTag({ name: "Sales" }, undefined)).toEqual({ text: "queued" });
    expect(queuedTag({ name: "Sales" }, { opensAt: Date.UTC(2026, 10, 30, 8), timezone: "Europe/Berlin" })).toEqual({
      text: "queued · Sales closed",
      title: "Sales is closed until Mon 30 November at 09:00 (Europe/Berlin)",
    });
    expect(queuedTag({ name: "Sales" }, { opensAt: null, timezone: "UTC" })).toEqual({ text: "queued · Sales closed", title: "Sales's hours never open" });
  });
  it("say a handoff was made while its team was closed, and when it opened, on the team's clock", () => {
    expect(handoffClosedLine({ team: "Sales", opensAt: Date.UTC(2026, 10, 30, 8), timezone: "Europe/Berlin" })).toBe(
      "Handed off while Sales was closed (opens Mon 30 November at 09:00, Europe/Berlin)",
    );
    expect(handoffClosedLine({ team: null, opensAt: null, timezone: "UTC" })).toBe("Handed off while the team was closed (its hours never open)");
  });
  it("shorten URLs and name collected fields", () => {
    expect(shortUrl("https://shop.example/pricing?x=1")).toBe("shop.example/pricing");
    expect(shortUrl("not a url")).toBe("not a url");
    expect(fieldLabel("contact.email")).toBe("Email");
    expect(fieldLabel("company_size")).toBe("Company size");
  });
});

describe("live events", () => {
  const me = "usr_me";
  const event = (kind: LiveMessage["kind"], data: unknown): LiveMessage => ({ kind, conversationId: "conv_1", inboxId: "inbox_1", data });
  const all: NotifySettings = { assigned: { browser: true, sound: false }, handoff: { browser: true, sound: true }, mention: { browser: false, sound: false } };

  it("parse only well-formed events", () => {
    expect(parseLiveMessage('{"kind":"message","conversationId":"c","inboxId":"i","data":{}}')?.kind).toBe("message");
    expect(parseLiveMessage('{"kind":"weird","conversationId":"c"}')).toBeUndefined();
    expect(parseLiveMessage("not json")).toBeUndefined();
  });

  it("notify on an assignment to me by someone else, a handoff from a bot, a mention of me", () => {
    expect(noticeFor(event("assignment", { assigneeId: me, by: "usr_other" }), me)?.kind).toBe("assigned");
    expect(noticeFor(event("assignment", { assigneeId: me, by: null }), me)?.kind).toBe("assigned");
    expect(noticeFor(event("assignment", { assigneeId: me, by: me }), me)).toBeNull();
    expect(noticeFor(event("assignment", { assigneeId: "usr_other", by: me }), me)).toBeNull();
    expect(noticeFor(event("status", { from: "bot", status: "open" }), me)?.kind).toBe("handoff");
    expect(noticeFor(event("status", { from: "open", status: "closed" }), me)).toBeNull();
    const mention = noticeFor(event("conversation", { change: "mention", userIds: [me], by: { id: "u2", name: "Bo" }, text: "look" }), me);
    expect(mention).toMatchObject({ kind: "mention", title: "Bo mentioned you", body: "look" });
    expect(noticeFor(event("conversation", { change: "mention", userIds: ["u3"] }), me)).toBeNull();
  });

  it("respect the person's settings and show one notice per conversation at a time", () => {
    const notice = noticeFor(event("status", { from: "bot", status: "open" }), me)!;
    expect(shouldNotify(notice, all, undefined, 10_000)).toBe(true);
    expect(shouldNotify(notice, all, 8_000, 10_000)).toBe(false);
    expect(shouldNotify(notice, all, 1_000, 10_000)).toBe(true);
    const mention = { ...notice, kind: "mention" as const };
    expect(shouldNotify(mention, all, undefined, 10_000)).toBe(false);
  });

  it("tell who else opened or closed a conversation, without re-reading the page", () => {
    const arrived = event("presence", { userId: "u2", name: "Bo", viewing: true });
    expect(parseLiveMessage(JSON.stringify(arrived))).toEqual(arrived);
    expect(presenceOf(arrived, me)).toEqual({ conversationId: arrived.conversationId, userId: "u2", name: "Bo", viewing: true });
    expect(presenceOf(event("presence", { userId: "u2", viewing: false }), me)).toMatchObject({ name: "A teammate", viewing: false });
    expect(presenceOf(event("presence", { userId: me, viewing: true }), me)).toBeNull();
    expect(presenceOf(event("typing", { userId: "u2", typing: true }), me)).toBeNull();
    expect(needsRefresh(arrived)).toBe(false);
    expect(noticeFor(arrived, me)).toBeNull();
  });

  it("say who else views a thread: the server's last answer, changed by what the feed said since", () => {
    const server = { at: 100, viewers: [{ userId: "u2", name: "Bo" }, { userId: me, name: "Me" }] };
    expect(viewersOf(server, [], me)).toEqual([{ userId: "u2", name: "Bo" }]);
    const live = [
      { userId: "u2", name: "Bo", viewing: false, at: 150 },
      { userId: "u3", name: "Cy", viewing: true, at: 120 },
      // Heard before the server's answer, which already knows better.
      { userId: "u4", name: "Di", viewing: true, at: 50 },
    ];
    expect(viewersOf(server, live, me)).toEqual([{ userId: "u3", name: "Cy" }]);
    expect(viewersOf({ at: 200, viewers: [{ userId: "u2", name: "Bo" }] }, live, me)).toEqual([{ userId: "u2", name: "Bo" }]);
  });

  it("tell who else is typing", () => {
    expect(typingOf(event("typing", { typing: true, userId: "u2", name: "Bo", internal: true }), me)).toMatchObject({ name: "Bo", internal: true, typing: true });
    expect(typingOf(event("typing", { typing: true, userId: me }), me)).toBeNull();
    expect(typingOf(event("message", {}), me)).toBeNull();
  });
});

describe("inbox URLs", () => {
  it("keep the list's filter, drop empty values and never carry the cursor", async () => {
    const { listSearch, threadHref } = await import("./url.js");
    const filter = { view: "mine", search: "refund", cursor: "abc", teamId: "" };
    expect(listSearch(filter)).toBe("?view=mine&search=refund");
    expect(listSearch(filter, { view: "closed", cursor: "next" })).toBe("?view=closed&search=refund&cursor=next");
    expect(listSearch({}, {})).toBe("");
    expect(threadHref("conv_1", filter)).toBe("/inbox/conv_1?view=mine&search=refund");
  });
});

describe("dueLabel", () => {
  const MIN = 60_000;
  const owed = { kind: "first_response" as const, targetMs: 60 * MIN, dueAt: 1_000 * MIN };
  it("says how long is left, soon under 20% of the target, and how long overdue", () => {
    expect(dueLabel(owed, 975 * MIN)).toEqual({ level: "normal", text: "due in 25 min", detail: "First response due (target 1 h)" });
    expect(dueLabel(owed, 996 * MIN)).toEqual({ level: "soon", text: "due in 4 min", detail: "First response due soon (target 1 h)" });
    expect(dueLabel({ ...owed, kind: "next_reply" }, 1_012 * MIN)).toEqual({
      level: "overdue",
      text: "overdue 12 min",
      detail: "Next reply overdue (target 1 h)",
    });
    expect(dueLabel(owed, 1_000 * MIN - 10_000).text).toBe("due in under 1 min");
  });

  it("names the team whose own hours the target counts in", () => {
    const team = { ...owed, teamHours: "EU Support" };
    expect(dueLabel(team, 975 * MIN)).toEqual({ level: "normal", text: "due in 25 min", detail: "First response due (target 1 h in EU Support's hours)" });
    expect(dueLabel(team, 1_012 * MIN).detail).toBe("First response overdue (target 1 h in EU Support's hours)");
  });
});
