import { describe, expect, it } from "vitest";
import { headingTitle, initials } from "./heading.js";
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
