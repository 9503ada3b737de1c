/** Reading the acting rule back from an event's data or a message's payload (decision 044). */
import { describe, expect, it } from "vitest";
import { ruleNamedIn, withRule } from "./acting-rule.js";

describe("ruleNamedIn", () => {
  it("reads back what withRule wrote, and null for no rule or a malformed one", () => {
    const rule = { id: "rule_1", name: "Close stale pending chats" };
    expect(ruleNamedIn(withRule({ from: "open", to: "closed" }, rule))).toEqual(rule);
    expect(ruleNamedIn(withRule({ from: "open", to: "closed" }, null))).toBeNull();
    for (const bad of [null, "rule_1", ["rule_1", "x"], { id: "rule_1" }, { id: 1, name: "x" }, { name: "x" }]) {
      expect(ruleNamedIn({ rule: bad })).toBeNull();
    }
    // Only the id and the name: nothing else in the data leaks through.
    expect(ruleNamedIn({ rule: { ...rule, secret: "no" } })).toEqual(rule);
  });
});
