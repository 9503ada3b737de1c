/**
 * The composer's check of the files an agent chose, before the upload: the server's limits
 * said at the list, with the file to mark.
 */
import { describe, expect, it } from "vitest";
import { chosenFilesProblem } from "./composer.js";

const limits = { maxFiles: 3, maxFileBytes: 100, maxMailBytes: 250 };
const file = (name: string, size: number) => ({ name, size });

describe("chosenFilesProblem", () => {
  it("lets files within the limits go", () => {
    expect(chosenFilesProblem([], limits)).toBeNull();
    expect(chosenFilesProblem([file("a", 100), file("b", 100), file("c", 50)], limits)).toBeNull();
  });

  it("marks the file over the per-file limit, and says the count and the total for the list", () => {
    expect(chosenFilesProblem([file("a", 10), file("big.mov", 101)], limits)).toEqual({
      index: 1,
      message: "“big.mov” is over 100 B: remove it, or share it another way.",
    });
    expect(chosenFilesProblem([file("a", 1), file("b", 1), file("c", 1), file("d", 1), file("e", 1)], limits)).toEqual({
      index: null,
      message: "At most 3 files can go with one reply: remove 2.",
    });
    expect(chosenFilesProblem([file("a", 100), file("b", 100), file("c", 51)], limits)).toEqual({
      index: null,
      message: "The files come to 251 B; one reply carries at most 250 B.",
    });
  });
});
