import { describe, expect, it } from "vitest";
import { REPLY_TIME_BUCKETS } from "../../runtime/core/reply-time.js";
import { chat as de } from "../i18n/de.js";
import { chat as en } from "../i18n/en.js";
import { headingTitle, initials, replyTimeLine } from "./heading.js";
import type { Chatflow } from "./types.js";

const flow = (name: string, avatars: string[], brand?: string): Chatflow => ({
  id: "f",
  kind: "live_chat",
  versionId: "v",
  language: "en",
  display: {
    welcomeMessage: "",
    popOpen: { mode: "never" },
    heading: { name, avatars: avatars.map((n) => ({ name: n, avatarUrl: null })) },
    accentColor: "#000000",
    launcherPosition: "bottom_right",
  },
  available: true,
  awayMessage: "",
  awayBehaviour: "hide",
  branding: { showPoweredBy: true, ...(brand ? { name: brand } : {}) },
});

describe("initials", () => {
  it("takes the first letters of the first and last names", () => {
    expect(initials("Ada Lovelace")).toBe("AL");
    expect(initials("  grace  brewster murray hopper ")).toBe("GH");
    expect(initials("Émile")).toBe("É");
    expect(initials("")).toBe("?");
  });
});

describe("headingTitle", () => {
  it("prefers the custom name, then the agents, then the brand", () => {
    expect(headingTitle(flow("Parley Sales", ["Ada"]), "Chat")).toBe("Parley Sales");
    expect(headingTitle(flow("", ["Ada", "Grace"]), "Chat")).toBe("Ada, Grace");
    expect(headingTitle(flow("", ["A", "B", "C", "D", "E"]), "Chat")).toBe("A, B, C +2");
    expect(headingTitle(flow(" ", [], "Acme"), "Chat")).toBe("Acme");
    expect(headingTitle(flow("", []), "Chat")).toBe("Chat");
  });
});

describe("replyTimeLine", () => {
  const withReplyTime = (replyTime: unknown): Chatflow => ({ ...flow("", []), replyTime } as Chatflow);

  it("says every bucket the server sends, in English and German", () => {
    const lines = REPLY_TIME_BUCKETS.map(([bucket]) => [replyTimeLine(en, withReplyTime({ bucket })), replyTimeLine(de, withReplyTime({ bucket }))]);
    expect(lines).toEqual([
      ["The team usually replies in a few minutes", "Das Team antwortet meist in wenigen Minuten"],
      ["The team usually replies in under 15 minutes", "Das Team antwortet meist in unter 15 Minuten"],
      ["The team usually replies in under an hour", "Das Team antwortet meist in unter einer Stunde"],
      ["The team usually replies in a few hours", "Das Team antwortet meist in wenigen Stunden"],
      ["The team usually replies within a day", "Das Team antwortet meist innerhalb eines Tages"],
    ]);
  });

  it("says nothing without a bucket it knows (off, away, too few replies, an older or newer server)", () => {
    for (const replyTime of [undefined, null, {}, { bucket: "soon" }, { bucket: "toString" }, { bucket: 3 }, "few_minutes"]) {
      expect(replyTimeLine(en, withReplyTime(replyTime))).toBeNull();
    }
  });
});
