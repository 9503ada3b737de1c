import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { detectKind, formatDecodeIssue, formatDiagnostic, parseJson } from "./load-flow-file.js";

const problem = (text: string): string => {
  const result = parseJson("f.json", text);
  if (Either.isRight(result)) throw new Error("expected a problem");
  return result.left.message;
};

describe("parseJson", () => {
  it("parses JSON, ignoring a byte-order mark", () => {
    expect(parseJson("f.json", '\uFEFF{"a":1}')).toEqual(Either.right({ a: 1 }));
  });

  it.each([
    ['{\n  "a": 1,\n}', "line 3, column 1"],
    ['{\n  "nodes": [1,2,}', "line 2, column 17"],
    ['{\n "a": tru }', "line 2, column 10"],
    ['{"a": "x"} extra', "line 1, column 12"],
  ])("says where %j breaks: %s", (text, where) => {
    expect(problem(text)).toContain(`is not valid JSON at ${where}`);
  });

  it("says when the file ends too early, and never quotes the whole input", () => {
    expect(problem('{"a": ')).toContain("the file ends too early");
    expect(problem('{"a": tru}')).not.toContain('"{');
  });
});

describe("detectKind", () => {
  it.each([
    [{ nodes: [], edges: [] }, "document"],
    [{ formatVersion: 1 }, "spec"],
    [{ nodes: [] }, "spec"],
    [{ flow: "./a.json", cases: [] }, "test"],
    [{ teams: [] }, "context"],
    [{ hello: 1 }, "unknown"],
    [[1, 2], "unknown"],
    [null, "unknown"],
  ])("%j is a %s", (value, kind) => {
    expect(detectKind(value)).toBe(kind);
  });
});

describe("line formats", () => {
  it("formats a diagnostic as file: severity [code] node port path: message", () => {
    expect(
      formatDiagnostic("a.json", {
        severity: "error",
        code: "unknown_team",
        nodeId: "h",
        port: "away",
        path: "data.target.teamId",
        message: "No such team.",
      })
    ).toBe("a.json: error [unknown_team] node h port away data.target.teamId: No such team.");
    expect(formatDiagnostic("a.json", { severity: "warning", code: "x", message: "M." })).toBe("a.json: warning [x]: M.");
  });

  it("formats a decode problem as path: message, naming the root", () => {
    expect(formatDecodeIssue("s.json", { path: "nodes[0].id", message: "Bad" })).toBe("s.json: error [decode] nodes[0].id: Bad");
    expect(formatDecodeIssue("s.json", { path: "", message: "Expected an object" })).toBe(
      "s.json: error [decode] (root): Expected an object"
    );
  });
});
