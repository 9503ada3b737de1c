import { describe, expect, it } from "vitest";
import type { DocumentNode, FlowDocument } from "../../../flows/flow-document.js";
import { findSteps, matchSnippet, nextMatch, snippetOf, type SnippetPart } from "./find.js";

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

/** A snippet written out with its hits in [brackets], to compare at a glance. */
const marked = (parts: ReadonlyArray<SnippetPart>) => parts.map((p) => (p.hit ? `[${p.text}]` : p.text)).join("");
const snippet = (query: string, id: string) => marked(matchSnippet(doc, findSteps(doc, query, names).find((m) => m.id === id)!, query, names));

describe("a match's name, kind and snippet", () => {
  it("names a step by its label (else its id) and kind, a note by its first words", () => {
    expect(findSteps(doc, "budget", names).map(({ name, kind }) => ({ name, kind }))).toEqual([
      { name: "Budget", kind: "Question" },
      { name: "The budget question decides t…", kind: "Note" },
    ]);
    expect(findSteps(doc, "crm", names).map(({ name, kind }) => ({ name, kind }))).toEqual([{ name: "crm", kind: "Webhook" }]);
  });

  it("shows the text that matched with the word marked, preferring what the step says to its label or id", () => {
    expect(snippet("budget", "ask_budget")).toBe("What [budget] do you have in mind?");
    expect(snippet("over 50k", "ask_budget")).toBe("[Over] [50k]");
    expect(snippet("budget", "note_1")).toBe("The [budget] question decides the sales team.");
    // Only the kind title says "webhook"; a team's name stands for its id.
    expect(snippet("webhook", "crm")).toBe("[Webhook]");
    expect(snippet("support", "to_team")).toMatch(/\[Support\] desk/);
  });

  it("keeps a long text's window around the first hit, with an ellipsis where it is cut", () => {
    const long = `${"a".repeat(100)} the needle sits here ${"b".repeat(100)}`;
    const parts = snippetOf([long], "needle");
    expect(parts[0]).toEqual({ text: "…", hit: false });
    expect(parts.at(-1)).toEqual({ text: "…", hit: false });
    expect(marked(parts)).toContain("the [needle] sits here");
    expect(marked(parts).replace(/[[\]]/g, "").length).toBeLessThanOrEqual(72 + 2);
    // Near the end: the window ends with the text, so no closing ellipsis.
    expect(marked(snippetOf([`${"a".repeat(200)} needle`], "needle"))).toMatch(/^….*\[needle\]$/);
  });

  it("takes the text holding most of the words, and marks every occurrence, case kept", () => {
    expect(marked(snippetOf(["only sales", "Sales and the BUDGET, budget again", "budget"], "budget sales"))).toBe("[Sales] and the [BUDGET], [budget] again");
    // The longer word is marked whole when a shorter one is inside it.
    expect(marked(snippetOf(["budgeting"], "bud budgeting"))).toBe("[budgeting]");
  });

  it("is plain text: markup and regular-expression characters are matched as they are", () => {
    expect(marked(snippetOf(["<b>bold</b> (a+b)*"], "<b> (a+b)*"))).toBe("[<b>]bold</b> [(a+b)*]");
    expect(snippetOf(["nothing here"], "zebra")).toEqual([]);
    expect(snippetOf(["text"], "   ")).toEqual([]);
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
