import { describe, expect, it } from "vitest";
import { ruleLine } from "../../../runtime/services/acting-rule.js";
import { ruleByline, ruleHref, ruleLineParts } from "./rule-line.js";

describe("a rule named in the thread (decision 044)", () => {
  const rule = { id: "rule_1", name: "Close stale pending chats" };

  it("says which rule made a change, and cuts the name out to link it", () => {
    const text = ruleLine("Closed", rule);
    expect(text).toBe("Closed by rule “Close stale pending chats”");
    expect(ruleLineParts(text, rule)).toEqual({ before: "Closed by rule “", name: "Close stale pending chats", after: "”" });
    const snoozed = ruleLine("Snoozed until Mon 09:00", rule);
    const parts = ruleLineParts(snoozed, rule);
    expect(parts.before + parts.name + parts.after).toBe(snoozed);
    expect(ruleByline(rule)).toBe("by rule “Close stale pending chats”");
  });

  it("links nothing when the text does not name the rule, and finds a name that also appears before it", () => {
    expect(ruleLineParts("Closed by Ada", rule)).toEqual({ before: "Closed by Ada", name: null, after: "" });
    const tricky = { id: "r", name: "VIP" };
    expect(ruleLineParts(ruleLine("Label “VIP” added", tricky), tricky)).toEqual({ before: "Label “VIP” added by rule “", name: "VIP", after: "”" });
  });

  it("points at the rule on Settings → Automation", () => {
    expect(ruleHref({ id: "rule_1" })).toBe("/settings/automation#rule-rule_1");
  });
});
