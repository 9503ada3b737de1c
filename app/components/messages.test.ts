import { describe, expect, it } from "vitest";
import { capitalise } from "./messages.js";

describe("capitalise", () => {
  it("upper-cases a message's first letter and leaves the rest as written", () => {
    expect(capitalise("no such inbox")).toBe("No such inbox");
    expect(capitalise("enter a name like “Ann”; the URL is wrong")).toBe("Enter a name like “Ann”; the URL is wrong");
    expect(capitalise("überweisung fehlt")).toBe("Überweisung fehlt");
    expect(capitalise("Already a sentence.")).toBe("Already a sentence.");
    expect(capitalise("")).toBe("");
  });
});
