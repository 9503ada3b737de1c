/** The snooze control's times on an agent's clock, and the notice a snooze's end gives. */
import { describe, expect, it } from "vitest";
import { zonedTimeToInstant } from "../../../flows/availability.js";
import { snoozeWakeEvent } from "../../../runtime/services/snoozes.js";
import { needsRefresh, noticeFor, parseLiveMessage } from "./live-logic.js";
import { instantOfLocal, localValueOf, snoozePresets } from "./snooze-logic.js";

describe("snooze presets", () => {
  it("are in 1 hour, tomorrow 09:00 and next Monday 09:00 on the agent's clock", () => {
    // Thursday 26 Nov 2026, 23:30 in Berlin (22:30 UTC): tomorrow is Friday the 27th there, Monday the 30th.
    const now = Date.UTC(2026, 10, 26, 22, 30);
    expect(snoozePresets(now, "Europe/Berlin")).toEqual([
      { id: "hour", label: "In 1 hour", at: now + 3_600_000 },
      { id: "tomorrow", label: "Tomorrow 09:00", at: Date.UTC(2026, 10, 27, 8, 0) },
      { id: "monday", label: "Next Monday 09:00", at: Date.UTC(2026, 10, 30, 8, 0) },
    ]);
    // The same instant in Los Angeles is still Thursday afternoon.
    const la = snoozePresets(now, "America/Los_Angeles");
    expect(la[1]!.at).toBe(Date.UTC(2026, 10, 27, 17, 0));
    expect(la[2]!.at).toBe(Date.UTC(2026, 10, 30, 17, 0));
  });

  it("take next Monday a week on when today is Monday, keep 09:00 across a clock change, and read an unknown zone as UTC", () => {
    const monday = Date.UTC(2026, 10, 30, 7, 0);
    expect(snoozePresets(monday, "UTC")[2]!.at).toBe(Date.UTC(2026, 11, 7, 9, 0));
    // Saturday 24 Oct 2026 in Berlin: summer time ends on Sunday the 25th.
    const saturday = Date.UTC(2026, 9, 24, 12, 0);
    expect(snoozePresets(saturday, "Europe/Berlin")[2]!.at).toBe(Date.UTC(2026, 9, 26, 8, 0));
    expect(snoozePresets(saturday, "Nowhere/Else")[1]!.at).toBe(Date.UTC(2026, 9, 25, 9, 0));
  });
});

describe("the date-time field", () => {
  it("is read on the zone's clock, and refuses what is not a real date and time", () => {
    expect(instantOfLocal("2026-11-27T09:00", "Europe/Berlin")).toBe(zonedTimeToInstant("Europe/Berlin", 2026, 11, 27, 540));
    expect(instantOfLocal("2026-11-27T09:00:00", "UTC")).toBe(Date.UTC(2026, 10, 27, 9, 0));
    for (const bad of ["", "2026-11-27", "2026-02-30T09:00", "2026-11-27T24:00", "27.11.2026 09:00"]) expect(instantOfLocal(bad, "UTC")).toBeNull();
    expect(instantOfLocal("2026-11-27T09:00", "Mars/Base")).toBeNull();
  });

  it("gets its minimum on the zone's clock", () => {
    expect(localValueOf(Date.UTC(2026, 10, 26, 23, 5), "Europe/Berlin")).toBe("2026-11-27T00:05");
    expect(localValueOf(Date.UTC(2026, 10, 26, 23, 5), "UTC")).toBe("2026-11-26T23:05");
  });
});

describe("a snooze's end on the live feed", () => {
  const wake = (assigneeId: string | null, why: "time" | "visitor" = "time") =>
    parseLiveMessage(
      JSON.stringify({
        ...snoozeWakeEvent({ conversationId: "conv_1", inboxId: "inb_1", why, assigneeId, snoozedBy: "usr_snoozer", from: "pending", status: "open" }),
      }),
    )!;

  it("re-reads every page and tells the assignee, else whoever snoozed it — nobody else", () => {
    expect(needsRefresh(wake("usr_me"), null)).toBe(true);
    expect(noticeFor(wake("usr_me"), "usr_me")).toEqual({
      kind: "assigned",
      conversationId: "conv_1",
      title: "A snoozed conversation is back",
      body: "Its snooze has ended.",
    });
    expect(noticeFor(wake("usr_me", "visitor"), "usr_me")?.body).toBe("The visitor wrote while it was snoozed.");
    expect(noticeFor(wake("usr_other"), "usr_me")).toBeNull();
    expect(noticeFor(wake("usr_other"), "usr_snoozer")).toBeNull();
    expect(noticeFor(wake(null), "usr_snoozer")?.title).toBe("A snoozed conversation is back");
    // Setting a snooze notifies nobody.
    const set = parseLiveMessage(JSON.stringify({ kind: "conversation", conversationId: "conv_1", inboxId: "inb_1", data: { change: "snooze", snoozedUntil: 1 } }))!;
    expect(noticeFor(set, "usr_me")).toBeNull();
  });
});
