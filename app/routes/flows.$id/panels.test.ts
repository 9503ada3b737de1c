import { describe, expect, it } from "vitest";
import { diagnosticPlace, problemSummary } from "./diagnostics-panel.js";
import { changeLine } from "./versions-panel.js";

const node = (id: string, name: string) => ({ id, name });

describe("changeLine", () => {
  it("names what changed, a few steps at a time", () => {
    expect(changeLine({ added: [node("a", "End a")], removed: [], changed: [], flow: [] }, true)).toBe("First version: 1 step.");
    expect(
      changeLine(
        {
          added: ["a", "b", "c", "d", "e", "f"].map((id) => node(id, `Message ${id}`)),
          removed: [node("x", 'Question "Email"')],
          changed: [],
          flow: ["start", "settings"],
        },
        false,
      ),
    ).toBe('Steps: 6 added (Message a, Message b, Message c, Message d, +2 more) · 1 removed (Question "Email") · start step, settings changed.');
    expect(changeLine({ added: [], removed: [], changed: [], flow: [] }, false)).toBe("No changes to the steps.");
  });
});

describe("problems", () => {
  it("counts errors and warnings in words", () => {
    const error = { severity: "error" as const, code: "x", message: "m" };
    const warning = { severity: "warning" as const, code: "y", message: "m" };
    expect(problemSummary([])).toBe("No problems");
    expect(problemSummary([error])).toBe("1 error");
    expect(problemSummary([error, error, warning])).toBe("2 errors, 1 warning");
    expect(problemSummary([warning, warning])).toBe("2 warnings");
  });

  it("says where a problem is: the step's name, or the setting", () => {
    const names = new Map([["ask", "Ask email"]]);
    expect(diagnosticPlace({ severity: "error", code: "x", message: "m", nodeId: "ask" }, names)).toBe("Ask email");
    expect(diagnosticPlace({ severity: "error", code: "x", message: "m", nodeId: "gone" }, names)).toBe("gone");
    expect(diagnosticPlace({ severity: "error", code: "x", message: "m", path: "settings.display.accentColor" }, names)).toBe("Settings · display.accentColor");
    expect(diagnosticPlace({ severity: "error", code: "x", message: "m" }, names)).toBeNull();
  });
});
