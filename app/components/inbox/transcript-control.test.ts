import { describe, expect, it } from "vitest";
import { transcriptState } from "./transcript-control.js";

const base = { id: "1", recipient: "ann@customer.test", requestedBy: "visitor", reason: null, lastError: null, attempts: 0, at: 0 } as const;

describe("transcriptState", () => {
  it("says each state in words: sending, retrying with the last error, sent, not sent with the reason", () => {
    expect(transcriptState({ ...base, status: "queued" })).toBe("sending…");
    expect(transcriptState({ ...base, status: "queued", attempts: 2, lastError: "connection refused" })).toBe("sending… (last try failed: connection refused)");
    expect(transcriptState({ ...base, status: "sent", attempts: 1 })).toBe("sent");
    expect(transcriptState({ ...base, status: "not_sent", reason: "550 mailbox unavailable" })).toBe("not sent — 550 mailbox unavailable");
  });
});
