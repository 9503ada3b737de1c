import { describe, expect, it } from "vitest";
import { NODE_KINDS } from "../../../flows/flow-spec.js";
import { nodeRegistry } from "./node-registry.js";
import { conditionText, summarize } from "./node-summary.js";

const names = { team: (id: string) => (id === "t1" ? "Support" : undefined), user: (id: string) => (id === "u1" ? "Ada" : undefined) };
const texts = (kind: Parameters<typeof summarize>[0], data: unknown) => summarize(kind, data, names).lines.map((l) => l.text);

describe("summarize", () => {
  it("shows what each kind does at a glance", () => {
    expect(texts("message", { bubbles: [{ type: "text", text: "Hello there" }] })).toEqual(["Hello there"]);
    expect(summarize("question", { prompt: "Size?", answer: { type: "choice", choices: [{ id: "s", label: "Small" }, { id: "l", label: "Large" }] } }, names).chips).toEqual(["Small", "Large"]);
    expect(texts("branch", { rules: [{ label: "Big", conditions: [{ subject: { type: "contact", property: "size" }, operator: "greater_than", value: 50 }] }] })).toEqual([
      "Big: contact.size > 50",
      "Otherwise: else",
    ]);
    expect(texts("webhook", { method: "GET", url: "https://x.test/a" })).toEqual(["GET https://x.test/a"]);
    expect(texts("handoff", { target: { type: "team", teamId: "t1" } })).toEqual(["To team Support"]);
    expect(texts("handoff", { target: { type: "contact_owner" } })).toEqual(["To the contact's owner, else routing"]);
    const withLabels = { ...names, label: (id: string) => (id === "label_lead" ? "Sales lead" : undefined) };
    expect(summarize("handoff", { target: { type: "routing" }, labels: ["label_lead", "label_gone"] }, withLabels).lines.map((l) => l.text)).toEqual([
      "To the inbox's routing",
      "Labels: Sales lead, label_gone",
    ]);
    expect(texts("meeting", { userId: "u1" })).toEqual(["Book with Ada"]);
    expect(texts("knowledge", { query: "", limit: 1, message: "These may help:", saveTitleTo: "best" })).toEqual([
      "Searches help articles for the last answer",
      "Offers up to 1 article",
      "These may help:",
      "Saves the title to {{best}}",
    ]);
    expect(texts("knowledge", { query: "{{question}}" })).toEqual(["Searches help articles for {{question}}", "Offers up to 3 articles"]);
    expect(texts("split", { arms: [{ id: "a", label: "A", percent: 60 }, { id: "b", label: "B", percent: 30 }] })).toEqual(["Shares add up to 90%, not 100%"]);
  });

  it("asks for content when a node is empty, and never throws on broken data", () => {
    expect(summarize("question", { prompt: "" }, names).lines[0]).toEqual({ text: "Write the question…", tone: "empty" });
    for (const kind of NODE_KINDS) {
      for (const data of [undefined, null, 42, "x", [], { bubbles: "no", rules: [null], arms: [1], assignments: [{}] }]) {
        expect(() => summarize(kind, data, names)).not.toThrow();
      }
      expect(summarize(kind, nodeRegistry[kind].defaults(), names).lines.length + summarize(kind, nodeRegistry[kind].defaults(), names).chips.length).toBeGreaterThan(0);
    }
  });

  it("words conditions", () => {
    expect(conditionText({ subject: { type: "last_answer" }, operator: "is_one_of", value: ["a", "b"] }, names)).toBe("answer is one of a, b");
    expect(conditionText({ subject: { type: "variable", name: "email" }, operator: "is_set" }, names)).toBe("email is set");
    expect(conditionText({ subject: { type: "team_available", teamId: "t1" }, operator: "equals", value: true }, names)).toBe("Support available");
  });
});
