/** The outbox's live events as the inbox page reads them: a delivery change re-reads the page and notifies nobody. */
import { describe, expect, it } from "vitest";
import {
  hoursRecheckDelay,
  needsRefresh,
  noticeFor,
  openConversationOf,
  parseLiveMessage,
  REFRESH_DEBOUNCE_MS,
  REFRESH_MAX_WAIT_MS,
  refreshDelay,
} from "./live-logic.js";

describe("a message of a conversation the bot still holds", () => {
  const botMessage = parseLiveMessage(
    JSON.stringify({ kind: "message", conversationId: "conv_bot", inboxId: "inb_1", bot: true, data: { author: "bot", text: "Which plan?" } }),
  )!;

  it("re-reads the Bot view and its own open thread, no other list or thread", () => {
    expect(needsRefresh(botMessage, null, "bot")).toBe(true);
    expect(needsRefresh(botMessage, "conv_bot", "all_open")).toBe(true);
    expect(needsRefresh(botMessage, null, null)).toBe(false);
    expect(needsRefresh(botMessage, null, "all_open")).toBe(false);
    expect(needsRefresh(botMessage, "conv_other", "unassigned")).toBe(false);
  });

  it("does not hold back a message of a conversation people hold, nor the bot's status changes", () => {
    const { bot: _bot, ...person } = botMessage;
    expect(needsRefresh(person, null, "all_open")).toBe(true);
    expect(needsRefresh({ ...botMessage, kind: "status", data: { status: "open", from: "bot" } }, null, "all_open")).toBe(true);
  });
});

describe("when the page re-reads after live changes", () => {
  it("waits for a pause in a burst, but never longer than the most it may wait since the first change", () => {
    expect(refreshDelay(1000, 1000)).toBe(REFRESH_DEBOUNCE_MS);
    expect(refreshDelay(1000, 1500)).toBe(REFRESH_DEBOUNCE_MS);
    // A change every 100 ms would push a plain debounce out forever; the re-read comes at 1 s.
    expect(refreshDelay(1000, 1000 + REFRESH_MAX_WAIT_MS - 100)).toBe(100);
    expect(refreshDelay(1000, 1000 + REFRESH_MAX_WAIT_MS)).toBe(0);
    expect(refreshDelay(1000, 1000 + REFRESH_MAX_WAIT_MS + 500)).toBe(0);
    let pendingSince = 0;
    let due = 0;
    for (let now = 0; now < 5000; now += 100) {
      due = now + refreshDelay(pendingSince, now);
      if (due <= now + 100) break;
    }
    expect(due).toBeLessThanOrEqual(pendingSince + REFRESH_MAX_WAIT_MS);
  });
});

describe("a delivery change on the live feed", () => {
  it("re-reads the open thread, without a notification", () => {
    const line = JSON.stringify({
      kind: "conversation",
      conversationId: "conv_1",
      inboxId: "inb_1",
      internal: true,
      data: { change: "delivery", messageId: "42", status: "failed", attempts: 1 },
    });
    const event = parseLiveMessage(line);
    expect(event).toMatchObject({ kind: "conversation", conversationId: "conv_1" });
    expect(needsRefresh(event!)).toBe(true);
    expect(noticeFor(event!, "usr_me")).toBeNull();
  });
});

describe("a seen mark or a follow-up email on the live feed", () => {
  const event = (change: string) =>
    parseLiveMessage(JSON.stringify({ kind: "conversation", conversationId: "conv_1", inboxId: "inb_1", internal: true, data: { change } }))!;

  it("re-reads only the open thread it is about, never the list alone, and notifies nobody", () => {
    for (const change of ["seen", "follow_up", "rating"]) {
      expect(needsRefresh(event(change), "conv_1")).toBe(true);
      expect(needsRefresh(event(change), "conv_2")).toBe(false);
      expect(needsRefresh(event(change), null)).toBe(false);
      expect(noticeFor(event(change), "usr_me")).toBeNull();
    }
    expect(needsRefresh(event("delivery"), null)).toBe(true);
  });

  it("reads the open conversation from the page's path", () => {
    expect(openConversationOf("/inbox/conv_1")).toBe("conv_1");
    expect(openConversationOf("/inbox/conv%201/")).toBe("conv 1");
    expect(openConversationOf("/inbox")).toBeNull();
    expect(openConversationOf("/inbox/attachments/x")).toBeNull();
    expect(openConversationOf("/inbox/%E0")).toBeNull();
  });
});

describe("a conversation that fell overdue on the live feed", () => {
  const overdue = (data: Record<string, unknown>) =>
    parseLiveMessage(JSON.stringify({ kind: "conversation", conversationId: "conv_1", inboxId: "inb_1", internal: true, data: { change: "overdue", ...data } }))!;

  it("re-reads every list and tells the assignee, by their assignment settings, and nobody else", () => {
    const event = overdue({ kind: "first_response", dueAt: 1, assigneeId: "usr_me" });
    expect(needsRefresh(event, null)).toBe(true);
    expect(noticeFor(event, "usr_me")).toEqual({
      kind: "assigned",
      conversationId: "conv_1",
      title: "Your conversation is overdue",
      body: "A first response is overdue: the visitor has waited past the inbox’s target.",
    });
    expect(noticeFor(event, "usr_other")).toBeNull();
  });

  it("unassigned, tells whoever hears it (the inbox's people) by their handoff settings", () => {
    const notice = noticeFor(overdue({ kind: "next_reply", dueAt: 1, assigneeId: null }), "usr_me");
    expect(notice?.kind).toBe("handoff");
    expect(notice?.title).toBe("An unassigned conversation is overdue");
    expect(notice?.body).toMatch(/^A reply is overdue/);
  });
});

describe("a team's hours changed by an admin, with its queue still waiting", () => {
  it("re-reads the list, without a notification", () => {
    const event = parseLiveMessage(
      JSON.stringify({ kind: "conversation", conversationId: "conv_1", inboxId: "inb_1", internal: true, data: { change: "team_hours", teamId: "team_sales" } }),
    );
    expect(needsRefresh(event!)).toBe(true);
    expect(noticeFor(event!, "usr_me")).toBeNull();
  });
});

describe("the re-read when a queued conversation's team opens or closes by its hours", () => {
  const now = Date.UTC(2026, 10, 27, 14, 0);

  it("waits until the change, and a little more for the server's clock", () => {
    expect(hoursRecheckDelay(now + 60_000, now)).toBe(62_000);
    // A change the page's clock has already passed (the server's lagged): soon, not never.
    expect(hoursRecheckDelay(now - 5_000, now)).toBe(2_000);
  });

  it("waits for nothing when no team's hours change, and at most as long as a timer can", () => {
    expect(hoursRecheckDelay(null, now)).toBeNull();
    expect(hoursRecheckDelay(now + 40 * 86_400_000, now)).toBe(2 ** 31 - 1);
  });
});
