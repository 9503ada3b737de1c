import { describe, expect, it } from "vitest";
import { auditDetails, auditTarget, auditVia, auditWho } from "./audit-text.js";

describe("the audit log's lines as words", () => {
  const names = new Map([["usr_ann", "Ann Agent"]]);

  it("names people by name where known, hides ids the target already says, and words the keys", () => {
    expect(auditDetails({ added: ["usr_ann", "usr_gone"], removed: [] }, names)).toBe("added: Ann Agent, usr_gone · removed: none");
    expect(auditDetails({ userId: "usr_ann", from: "agent", to: "admin" }, names)).toBe("from: agent · to: admin");
    expect(auditDetails({ enabled: false, endedSessions: 2, expiresAt: Date.UTC(2027, 0, 31) }, names)).toBe("enabled: no · sessions ended: 2 · expires: 2027-01-31");
    expect(auditDetails({ hours: [{ day: "mon" }] }, names)).toBe('hours: {"day":"mon"}');
    expect(auditDetails({}, names)).toBe("");
  });

  it("names the target by kind and its name then, else its id", () => {
    expect(auditTarget({ type: "flow", id: "flow_1", label: "Greeter" })).toBe("Flow Greeter");
    expect(auditTarget({ type: "contact", id: "contact_9", label: null })).toBe("Contact contact_9");
    expect(auditTarget({ type: "something_new", id: "x", label: "X" })).toBe("something_new X");
  });

  it("says who and from where", () => {
    expect(auditWho({ actor: null, via: "system" })).toBe("Parley");
    expect(auditWho({ actor: null, via: "command line" })).toBe("Command line");
    expect(auditWho({ actor: null, via: "app" })).toBe("Not signed in");
    expect(auditWho({ actor: { id: "usr_ann", name: "Ann Agent", email: "ann@example.com" }, via: "api" })).toBe("Ann Agent");
    expect(auditVia({ via: "api", ip: "203.0.113.9", tokenId: "pat_1" })).toBe("the API · token pat_1 · 203.0.113.9");
    expect(auditVia({ via: "app", ip: null, tokenId: null })).toBe("the app");
  });
});
