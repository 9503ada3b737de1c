import { describe, expect, it } from "vitest";
import { listFilter, listHref } from "./list-query.js";

describe("a list's query string", () => {
  const keys = ["q", "status", "page"];
  it("reads only the listed, non-blank keys", () => {
    expect(listFilter(new URLSearchParams("q=reset&status=&page=2&evil=1&q=second"), keys)).toEqual({ q: "reset", page: "2" });
    expect(listFilter(new URLSearchParams("q=%20%20"), keys)).toEqual({});
  });

  it("changes a filter back to the first page, keeps the others, and empties to the bare address", () => {
    const filter = { q: "a b&c", status: "draft", page: "3" };
    const options = { page: "page", bare: "/knowledge" };
    expect(listHref(filter, keys, { status: "published" }, options)).toBe("?q=a+b%26c&status=published");
    expect(listHref(filter, keys, { page: "4" }, options)).toBe("?q=a+b%26c&status=draft&page=4");
    expect(listHref({ status: "draft" }, keys, { status: "" }, options)).toBe("/knowledge");
  });
});
