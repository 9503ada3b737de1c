import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { linkify, safeHref, safeImageSrc } from "./safe-href.js";

describe("safeHref", () => {
  it("lets http, https, mailto and tel through, normalised", () => {
    expect(safeHref("https://example.com/a?b=1")).toBe("https://example.com/a?b=1");
    expect(safeHref("  HTTP://Example.com ")).toBe("http://example.com/");
    expect(safeHref("mailto:sales@example.com")).toBe("mailto:sales@example.com");
    expect(safeHref("tel:+4930123456")).toBe("tel:+4930123456");
  });

  it("refuses script-running and local schemes however they are spelt", () => {
    for (const bad of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "java\nscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "blob:https://example.com/x",
    ]) {
      expect(safeHref(bad), bad).toBeNull();
    }
  });

  it("refuses what is not a URL", () => {
    for (const bad of ["", "   ", "not a url", "/relative", 42, null, undefined, {}]) expect(safeHref(bad)).toBeNull();
  });

  it("resolves relative links against a base", () => {
    expect(safeHref("/pricing", "https://shop.example/home")).toBe("https://shop.example/pricing");
    expect(safeHref("javascript:alert(1)", "https://shop.example/")).toBeNull();
  });

  it("allows only http(s) images", () => {
    expect(safeImageSrc("https://cdn.example/a.png")).toBe("https://cdn.example/a.png");
    expect(safeImageSrc("mailto:a@b.c")).toBeNull();
    expect(safeImageSrc("data:image/svg+xml,<svg onload=alert(1)>")).toBeNull();
  });
});

describe("linkify", () => {
  it("finds links in prose and leaves trailing punctuation outside", () => {
    expect(linkify("See https://example.com/docs. Or mail mailto:a@example.com!")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", text: "https://example.com/docs", href: "https://example.com/docs" },
      { kind: "text", text: ". Or mail " },
      { kind: "link", text: "mailto:a@example.com", href: "mailto:a@example.com" },
      { kind: "text", text: "!" },
    ]);
  });

  it("turns www. hosts into https links and keeps balanced parentheses", () => {
    expect(linkify("(www.example.com)")).toEqual([
      { kind: "text", text: "(" },
      { kind: "link", text: "www.example.com", href: "https://www.example.com/" },
      { kind: "text", text: ")" },
    ]);
    expect(linkify("https://en.wikipedia.org/wiki/Foo_(bar).")[0]).toEqual({
      kind: "link",
      text: "https://en.wikipedia.org/wiki/Foo_(bar)",
      href: "https://en.wikipedia.org/wiki/Foo_(bar)",
    });
  });

  it("never links a javascript: URL and keeps HTML as plain text", () => {
    expect(linkify("javascript:alert(1)")).toEqual([{ kind: "text", text: "javascript:alert(1)" }]);
    expect(linkify("<img src=x onerror=alert(1)>")).toEqual([{ kind: "text", text: "<img src=x onerror=alert(1)>" }]);
  });

  it("gives back the input when its parts are joined, and every link is safe", () => {
    const pieces = fc.constantFrom("hello ", "https://a.example/x", "www.b.example", "mailto:c@d.e", ").", "(", " ", "javascript:x", "<b>", "é");
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (chunks) => {
        const text = chunks.join("");
        const parts = linkify(text);
        expect(parts.map((part) => part.text).join("")).toBe(text);
        for (const part of parts) if (part.kind === "link") expect(safeHref(part.href)).toBe(part.href);
      }),
    );
  });
});
