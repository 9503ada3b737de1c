import { describe, expect, it } from "vitest";
import { IMAP_RECONNECT_MAX_MS, IMAP_RECONNECT_MIN_MS, imapReconnectDelay } from "./email-imap-idle.js";

describe("imapReconnectDelay", () => {
  it("doubles from the shortest wait with each failure in a row, up to the longest", () => {
    expect([1, 2, 3, 4].map((n) => imapReconnectDelay(n))).toEqual([1, 2, 4, 8].map((f) => f * IMAP_RECONNECT_MIN_MS));
    expect(imapReconnectDelay(9)).toBe(IMAP_RECONNECT_MAX_MS);
    expect(imapReconnectDelay(10_000)).toBe(IMAP_RECONNECT_MAX_MS);
    expect(imapReconnectDelay(3, 500, 1_500)).toBe(1_500);
  });

  it("waits the shortest time for a first (or nonsensical) failure count", () => {
    expect(imapReconnectDelay(1)).toBe(IMAP_RECONNECT_MIN_MS);
    expect(imapReconnectDelay(0)).toBe(IMAP_RECONNECT_MIN_MS);
    expect(imapReconnectDelay(-3)).toBe(IMAP_RECONNECT_MIN_MS);
  });
});
