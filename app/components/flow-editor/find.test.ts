import { describe, expect, it } from "vitest";
import type { DocumentNode, FlowDocument } from "../../../flows/flow-document.js";
import { findSteps, nextMatch } from "./find.js";

const names = { team: (id: string) => (id === "t1" ? "Support desk" : undefined), user: () => undefined };
const at = { x: 0, y: 0 };
const step = (id: string, kind: DocumentNode["kind"], data: unknown, label?: string): DocumentNode => ({
  id,
  kind,
  ...(label ? { label } : {}),
  position: at,
  data,
});

const doc: FlowDocument = {
  id: "f",
  name: "Flow",
  kind: "bot",
  language: "en",
  nodes: [
    step("welcome", "message", { bubbles: [{ type: "text", text: "Hi! Let's talk about your project." }] }),
    step("ask_budget", "question", {
      prompt: "What budget do you have in mind?",
      answer: { type: "choice", choices: [{ id: "small", label: "Under 5k" }, { id: "big", label: "Over 50k" }] },
    }, "Budget"),
    step("crm", "webhook", { method: "POST", url: "https://crm.example.test/leads" }),
    step("to_team", "handoff", { target: { type: "team", teamId: "t1" } }),
    step("bye", "end", {}),
  ],
  edges: [],
  variables: [],
  settings: {},
  notes: [{ id: "note_1", text: "The budget question decides the sales team.", color: "yellow", position: at, size: { width: 240, height: 140 } }],
};

const ids = (query: string) => findSteps(doc, query, names).map((m) => m.id);

describe("findSteps", () => {
  it("matches a step by a word of its texts, choice labels, URL, id, label or kind", () => {
    expect(ids("project")).toEqual(["welcome"]);
    expect(ids("over 50K")).toEqual(["ask_budget"]);
    expect(ids("crm.example")).toEqual(["crm"]);
    expect(ids("to_team")).toEqual(["to_team"]);
    expect(ids("webhook")).toEqual(["crm"]);
    expect(ids("End")).toEqual(["bye"]);
  });

  it("matches names the card shows in place of ids (a team's name)", () => {
    expect(ids("support desk")).toEqual(["to_team"]);
  });

  it("searches notes too, after the steps, and needs every word", () => {
    expect(ids("budget")).toEqual(["ask_budget", "note_1"]);
    expect(ids("budget sales")).toEqual(["note_1"]);
    expect(findSteps(doc, "budget", names).map((m) => m.title)).toEqual(["Question “Budget”", "Note “The budget question decides t…”"]);
  });

  it("matches nothing for a blank query or an absent word", () => {
    expect(ids("   ")).toEqual([]);
    expect(ids("zebra")).toEqual([]);
  });

  it("sees an edited step's new text (documents are immutable, the cache is per node object)", () => {
    const edited = { ...doc, nodes: doc.nodes.map((n) => (n.id === "welcome" ? { ...n, data: { bubbles: [{ type: "text", text: "Hello zebra" }] } } : n)) };
    expect(findSteps(edited, "zebra", names).map((m) => m.id)).toEqual(["welcome"]);
    expect(ids("zebra")).toEqual([]);
  });
});

describe("nextMatch", () => {
  it("moves forward and back, wrapping around, and starts from either end", () => {
    expect(nextMatch(0, 3, 1)).toBe(1);
    expect(nextMatch(2, 3, 1)).toBe(0);
    expect(nextMatch(0, 3, -1)).toBe(2);
    expect(nextMatch(-1, 3, 1)).toBe(0);
    expect(nextMatch(-1, 3, -1)).toBe(2);
    expect(nextMatch(-1, 0, 1)).toBe(-1);
  });
});
