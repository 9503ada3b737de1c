/** The outbox's live events as the inbox page reads them: a delivery change re-reads the page and notifies nobody. */
import { describe, expect, it } from "vitest";
import { needsRefresh, noticeFor, parseLiveMessage } from "./live-logic.js";

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
