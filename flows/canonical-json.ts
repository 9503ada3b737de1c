/**
 * Canonical JSON: one byte-exact text per JSON value, so a spec's content hash does not
 * depend on key order or formatting. Keys are sorted by UTF-16 code units and numbers are
 * written as `JSON.stringify` writes them, which is the canonical form of RFC 8785 (JCS)
 * for the values a spec holds.
 */

/**
 * Serialises `value` with object keys sorted and no whitespace. Like `JSON.stringify`, it
 * drops object members whose value is `undefined` or a function, writes them as `null` in
 * arrays, honours `toJSON`, and writes non-finite numbers as `null`. Throws a TypeError on
 * a cycle, a bigint, or a value with no JSON form at all (top-level `undefined`). Pure.
 */
export const canonicalJson = (value: unknown): string => {
  const out: string[] = [];
  const stack = new Set<object>();
  const write = (v: unknown, inArray: boolean): boolean => {
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    switch (typeof v) {
      case "string":
      case "boolean":
        out.push(JSON.stringify(v));
        return true;
      case "number":
        out.push(Number.isFinite(v) ? JSON.stringify(v) : "null");
        return true;
      case "bigint":
        throw new TypeError("canonicalJson: a bigint has no JSON form");
      case "undefined":
      case "function":
      case "symbol":
        if (inArray) out.push("null");
        return inArray;
    }
    if (v === null) {
      out.push("null");
      return true;
    }
    const obj = v as object;
    if (stack.has(obj)) throw new TypeError("canonicalJson: the value contains a cycle");
    stack.add(obj);
    if (Array.isArray(obj)) {
      out.push("[");
      for (let i = 0; i < obj.length; i++) {
        if (i > 0) out.push(",");
        write(obj[i], true);
      }
      out.push("]");
    } else {
      out.push("{");
      const record = obj as Record<string, unknown>;
      let first = true;
      for (const key of Object.keys(record).sort()) {
        const mark = out.length;
        out.push(first ? "" : ",", JSON.stringify(key), ":");
        if (write(record[key], false)) first = false;
        else out.length = mark;
      }
      out.push("}");
    }
    stack.delete(obj);
    return true;
  };
  if (!write(value, false)) throw new TypeError("canonicalJson: the value has no JSON form");
  return out.join("");
};
