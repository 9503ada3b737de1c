import { describe, expect, it } from "vitest";
import { knowledgeEditors as serviceEditors, knowledgeReaders } from "../runtime/services/knowledge.js";
import { access, breachFollowUp, canOpen, homeFor, isAllowed, knowledgeEditors, navigation } from "./roles.js";

describe("roles", () => {
  it("lets each role open only its own areas, and admins everything", () => {
    const visible = (role: Parameters<typeof canOpen>[0]) => navigation.filter((n) => canOpen(role, n.area)).map((n) => n.label);
    expect(visible("admin")).toEqual(["Flows", "Inbox", "Tickets", "Contacts", "Lists", "Reports", "Knowledge", "Settings"]);
    expect(visible("marketer")).toEqual(["Flows", "Lists", "Knowledge"]);
    expect(visible("agent")).toEqual(["Inbox", "Tickets", "Contacts", "Lists", "Knowledge"]);
    expect(visible("analyst")).toEqual(["Reports", "Knowledge"]);
  });

  it("shows Tickets and Contacts exactly to the roles the /tickets and /contacts guards let in", () => {
    // Both guard with access.inbox: the link and the guard must agree.
    for (const to of ["/tickets", "/contacts"]) {
      const entry = navigation.find((n) => n.to === to);
      expect(entry?.area, to).toBe("inbox");
      for (const role of ["admin", "marketer", "agent", "analyst"] as const) {
        expect(canOpen(role, entry!.area), `${to} ${role}`).toBe(isAllowed(role, access.inbox));
      }
    }
  });

  it("lets follow missed answers up only a role that both reads reports and works in the inbox", () => {
    expect(breachFollowUp).toEqual(["admin"]);
    for (const role of ["marketer", "agent", "analyst"] as const) expect(isAllowed(role, breachFollowUp), role).toBe(false);
  });

  it("guards the knowledge pages with the Knowledge service's own rule", () => {
    expect(knowledgeEditors).toEqual(serviceEditors);
    expect(access.knowledge).toEqual(knowledgeReaders);
  });

  it("sends each role to the first area it may open", () => {
    expect(homeFor("admin")).toBe("/flows");
    expect(homeFor("marketer")).toBe("/flows");
    expect(homeFor("agent")).toBe("/inbox");
    expect(homeFor("analyst")).toBe("/reports");
  });

  it("always allows admins, and others only when listed", () => {
    expect(isAllowed("admin", [])).toBe(true);
    expect(isAllowed("agent", ["agent"])).toBe(true);
    expect(isAllowed("agent", ["analyst"])).toBe(false);
  });
});
