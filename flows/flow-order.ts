/**
 * The chatflows' priority order as a list of ids: the moves the flow list makes (one place up or
 * down, a drag and drop) and the REST API's `move` makes with it, before `Chatflows.reorder`
 * stores the order as targeting priorities (first wins on a page). Pure; safe on the client.
 */

/** `ids` with `id` moved one place up or down (unchanged at either end or when absent). Pure. */
export const moveId = (ids: ReadonlyArray<string>, id: string, direction: "up" | "down"): ReadonlyArray<string> => {
  const from = ids.indexOf(id);
  const to = direction === "up" ? from - 1 : from + 1;
  if (from === -1 || to < 0 || to >= ids.length) return ids;
  const next = [...ids];
  next[from] = ids[to]!;
  next[to] = id;
  return next;
};

/** `ids` with `id` taken out and put where `beforeId` is (at the end when `beforeId` is null). Pure. */
export const dropBefore = (ids: ReadonlyArray<string>, id: string, beforeId: string | null): ReadonlyArray<string> => {
  if (!ids.includes(id) || id === beforeId) return ids;
  const rest = ids.filter((x) => x !== id);
  const at = beforeId === null ? rest.length : rest.indexOf(beforeId);
  if (at === -1) return ids;
  return [...rest.slice(0, at), id, ...rest.slice(at)];
};

/** How one order became another: unchanged, one flow moved (1-based places), or several moved. */
export type OrderChange =
  | { readonly kind: "unchanged" }
  | { readonly kind: "moved"; readonly id: string; readonly from: number; readonly to: number }
  | { readonly kind: "reordered" };

/**
 * What changed from `before` to `after` (the same ids): "moved" when taking one flow out and
 * putting it elsewhere explains it — `hint`, the flow the caller moved, when it does (swapping two
 * neighbours is either moving down or the other moving up) — else "reordered". Pure.
 */
export const orderChange = (before: ReadonlyArray<string>, after: ReadonlyArray<string>, hint?: string): OrderChange => {
  let first = 0;
  while (first < before.length && before[first] === after[first]) first++;
  if (first === before.length) return { kind: "unchanged" };
  let last = before.length - 1;
  while (last > first && before[last] === after[last]) last--;
  const same = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.length === b.length && a.every((x, i) => x === b[i]);
  // Moved down: before[first] now sits at `last`, the others one place up; moved up: the reverse.
  const down = after[last] === before[first] && same(before.slice(first + 1, last + 1), after.slice(first, last));
  const up = after[first] === before[last] && same(before.slice(first, last), after.slice(first + 1, last + 1));
  const movedDown = { kind: "moved", id: before[first]!, from: first + 1, to: last + 1 } as const;
  const movedUp = { kind: "moved", id: before[last]!, from: last + 1, to: first + 1 } as const;
  if (down && up) return hint === movedUp.id ? movedUp : movedDown;
  if (down) return movedDown;
  if (up) return movedUp;
  return { kind: "reordered" };
};
