import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it("gives the same text whatever the key order", () => {
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it("follows JSON.stringify for undefined, non-finite numbers, escapes and toJSON", () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN, Infinity], c: "é\n\"" })).toBe('{"b":[null,null,null],"c":"é\\n\\""}');
    expect(canonicalJson({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson({ x: undefined, y: 1 })).toBe('{"y":1}');
    expect(canonicalJson({ y: 1, x: undefined })).toBe('{"y":1}');
  });

  it("sorts by UTF-16 code units, as RFC 8785 does", () => {
    expect(canonicalJson({ b: 1, B: 2, "€": 3, "\u00e9": 4 })).toBe('{"B":2,"b":1,"é":4,"€":3}');
  });

  it("throws on cycles and bigints", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { a: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });

  it("parses back to the same value as JSON.stringify does", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
