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
