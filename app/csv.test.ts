import { describe, expect, it } from "vitest";
import { csvField, csvLine, toCsv } from "./csv.js";

describe("csv", () => {
  it("defuses every cell a spreadsheet would run as a formula", () => {
    expect(["=SUM(A1)", "+49 30 1234567", "-2+3", "@team", "\tx", "\rx"].map((v) => csvField(v))).toEqual([
      "'=SUM(A1)",
      "'+49 30 1234567",
      "'-2+3",
      "'@team",
      "'\tx",
      '"\'\rx"',
    ]);
    // A quoted cell is defused inside its quotes, where the spreadsheet reads it.
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField("ann@example.com")).toBe("ann@example.com");
    expect(csvField("-3", true)).toBe("-3");
  });

  it("writes a line of text cells and a whole table with a byte-order mark", () => {
    expect(csvLine(["Ann, Lee", "=1+1", "two\nlines"])).toBe('"Ann, Lee",\'=1+1,"two\nlines"\r\n');
    expect(toCsv({ columns: [{ label: "Name" }, { label: "Delta", numeric: true }], rows: [["@x", "-1"]] })).toBe("\uFEFFName,Delta\r\n'@x,-1\r\n");
  });
});
