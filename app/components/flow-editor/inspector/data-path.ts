/**
 * Immutable reads and writes into loosely typed node data by path, so an inspector field can
 * edit `answer.choices[2].label` without knowing the rest of the node.
 */

export type PathKey = string | number;
export type DataPath = ReadonlyArray<PathKey>;

/** `["answer", "choices", 2, "label"]` → `answer.choices[2].label`, the shape decode issues use. Pure. */
export const pathString = (path: DataPath): string =>
  path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");

/** The value at `path`, or undefined when any step is missing. Pure. */
export const getIn = (data: unknown, path: DataPath): unknown => {
  let current: unknown = data;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PathKey, unknown>)[key];
  }
  return current;
};

/**
 * A copy of `data` with `value` at `path`, creating objects (or arrays, for numeric keys) on
 * the way; `undefined` removes an object key. Untouched branches keep their identity. Pure.
 */
export const setIn = (data: unknown, path: DataPath, value: unknown): unknown => {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [PathKey, ...PathKey[]];
  const inner = setIn(getIn(data, [key]), rest, value);
  if (typeof key === "number") {
    const list = Array.isArray(data) ? data.slice() : [];
    list[key] = inner;
    return list;
  }
  const record = data !== null && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  if (inner === undefined) {
    if (!(key in record)) return record;
    const { [key]: _removed, ...others } = record;
    return others;
  }
  if (record[key] === inner) return record;
  return { ...record, [key]: inner };
};

/** A copy of the list at `path` with the item at `index` removed. Pure. */
export const removeAt = (data: unknown, path: DataPath, index: number): unknown => {
  const list = getIn(data, path);
  if (!Array.isArray(list)) return data;
  return setIn(data, path, list.filter((_, i) => i !== index));
};

/** A copy of the list at `path` with the item at `index` moved by `delta` places (clamped). Pure. */
export const moveAt = (data: unknown, path: DataPath, index: number, delta: number): unknown => {
  const list = getIn(data, path);
  if (!Array.isArray(list)) return data;
  const to = Math.max(0, Math.min(list.length - 1, index + delta));
  if (to === index) return data;
  const copy = list.slice();
  const [item] = copy.splice(index, 1);
  copy.splice(to, 0, item);
  return setIn(data, path, copy);
};

/** A copy of the list at `path` (created when missing) with `item` appended. Pure. */
export const appendAt = (data: unknown, path: DataPath, item: unknown): unknown => {
  const list = getIn(data, path);
  return setIn(data, path, [...(Array.isArray(list) ? list : []), item]);
};

/** An id for a new list item (`prefix_n`) that no item in `items` has yet. Pure. */
export const freshItemId = (items: unknown, prefix: string): string => {
  const taken = new Set(
    (Array.isArray(items) ? items : []).map((item) => (item !== null && typeof item === "object" ? (item as { id?: unknown }).id : undefined)),
  );
  for (let n = (Array.isArray(items) ? items.length : 0) + 1; ; n++) if (!taken.has(`${prefix}_${n}`)) return `${prefix}_${n}`;
};
