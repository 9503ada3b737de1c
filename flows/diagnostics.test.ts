import { describe, expect, it } from "vitest";
import { humanizeIssues } from "./diagnostics.js";

describe("humanizeIssues", () => {
  it.each([
    [
      "drops the 'Expected undefined' echo of an optional field",
      [
        { path: "settings.display.accentColor", message: "a colour is #rrggbb" },
        { path: "settings.display.accentColor", message: 'Expected undefined, actual "red"' },
        { path: "settings.display", message: 'Expected undefined, actual {"accentColor":"red"}' },
        { path: "settings", message: "Expected undefined, actual {}" },
      ],
      [{ path: "settings.display.accentColor", message: "A colour is #rrggbb" }],
    ],
    [
      "merges literal alternatives",
      [
        { path: "method", message: 'Expected "GET", actual "get"' },
        { path: "method", message: 'Expected "POST", actual "get"' },
      ],
      [{ path: "method", message: 'Expected one of "GET", "POST", got "get"' }],
    ],
    [
      "names types in words",
      [
        { path: "a", message: "Expected string, actual 3" },
        { path: "b", message: "Expected an integer, actual 1.5" },
        { path: "c", message: 'Expected a string at least 1 character(s) long, actual ""' },
        { path: "d", message: "Expected { readonly type: \"text\"; readonly text: string } | { readonly type: \"image\" }, actual 1" },
        { path: "e", message: "Expected ReadonlyArray<string>, actual {}" },
        { path: "f", message: "Expected Struct (Encoded side), actual null" },
      ],
      [
        { path: "a", message: "Expected text, got 3" },
        { path: "b", message: "Expected a whole number, got 1.5" },
        { path: "c", message: 'Expected non-empty text, got ""' },
        { path: "d", message: "Expected an object, got 1" },
        { path: "e", message: "Expected a list of texts, got {}" },
        { path: "f", message: "Expected an object, got null" },
      ],
    ],
    [
      "merges a union of types",
      [
        { path: "value", message: "Expected string, actual {}" },
        { path: "value", message: "Expected number, actual {}" },
        { path: "value", message: "Expected undefined, actual {}" },
      ],
      [{ path: "value", message: "Expected text or a number, got {}" }],
    ],
    [
      "reports an empty non-empty list on the list itself",
      [{ path: "bubbles[0]", message: "is missing" }],
      [{ path: "bubbles", message: "Needs at least one item" }],
    ],
    ["names a missing field", [{ path: "nodes[0].data.prompt", message: "is missing" }], [{ path: "nodes[0].data.prompt", message: '"prompt" is required' }]],
    [
      "keeps an 'Expected undefined' that nothing explains",
      [{ path: "x", message: "Expected undefined, actual 1" }],
      [{ path: "x", message: "Is not allowed here" }],
    ],
  ])("%s", (_name, input, output) => {
    expect(humanizeIssues(input)).toEqual(output);
  });

  it("shortens a long actual value", () => {
    const [issue] = humanizeIssues([{ path: "t", message: `Expected a string at most 4000 character(s) long, actual "${"x".repeat(5000)}"` }]);
    expect(issue!.message.length).toBeLessThan(120);
    expect(issue!.message).toMatch(/^Expected text of at most 4,000 characters, got "x+…$/);
  });
});
