/**
 * The order of the list of answers that missed their response target (decision 045): which
 * columns it sorts by, how a `sort` parameter names one (`over`, `-over`, …), how two answers
 * compare, where a page starts after a cursor's place, and a page taken without sorting the
 * whole list. Pure.
 */

/** The columns the list sorts by: how much over, time taken, waiting since, answered, agent, inbox. */
export const BREACH_SORT_KEYS = ["over", "took", "waiting", "answered", "agent", "inbox"] as const;
export type BreachSortKey = (typeof BREACH_SORT_KEYS)[number];
export type SortDirection = "asc" | "desc";

/** A sort: a column and a direction. */
export interface BreachSort {
  readonly by: BreachSortKey;
  readonly direction: SortDirection;
}

/** The list's order unless another is asked for: the most over first. */
export const DEFAULT_BREACH_SORT: BreachSort = { by: "over", direction: "desc" };

/** What an answer of the list is sorted by (a page's place holds the same fields). */
export interface BreachOrderFields {
  /** The reply's event id: unique, so the order is total. */
  readonly eventId: number;
  readonly overMs: number;
  readonly actualMs: number;
  readonly waitedFrom: number;
  readonly at: number;
  readonly agentName: string | null;
  readonly inboxName: string;
}

/** The field each sort key reads. */
const FIELDS = {
  over: "overMs",
  took: "actualMs",
  waiting: "waitedFrom",
  answered: "at",
  agent: "agentName",
  inbox: "inboxName",
} as const satisfies Record<BreachSortKey, keyof BreachOrderFields>;

const TEXT_KEYS: ReadonlySet<BreachSortKey> = new Set(["agent", "inbox"]);

/** A place in the list (a cursor's): the sorted field's value, how much over, and the event id. */
export type BreachPlace = Pick<BreachOrderFields, "eventId" | "overMs"> & Partial<BreachOrderFields>;

/** `sort` as a parameter: the key, with a leading `-` when descending. Pure. */
export const breachSortParam = (sort: BreachSort): string => `${sort.direction === "desc" ? "-" : ""}${sort.by}`;

/** The sort a parameter names, or undefined when it names none. Pure. */
export const parseBreachSort = (text: string): BreachSort | undefined => {
  const descending = text.startsWith("-");
  const by = descending ? text.slice(1) : text;
  const key = BREACH_SORT_KEYS.find((k) => k === by);
  return key === undefined ? undefined : { by: key, direction: descending ? "desc" : "asc" };
};

/** What a bad `sort` parameter is told. */
export const BREACH_SORT_MESSAGE = `expected one of ${BREACH_SORT_KEYS.join(", ")}, with a leading - for descending (such as -answered)`;

// Names compare as people read them: case and accents aside, "Agent 2" before "Agent 10"; the
// same on every server, whatever its locale.
const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

/** Text with "no agent" after every name (ascending). */
const compareText = (a: string | null | undefined, b: string | null | undefined): number =>
  a === b ? 0 : a == null ? 1 : b == null ? -1 : collator.compare(a, b);

/**
 * How two answers (or an answer and a place) compare under `sort`: the sorted column in its
 * direction, then the most over first, then the older reply first — a total order, so a page
 * and the next never share or skip an answer. The default sort is "most over, then oldest". Pure.
 */
export const compareBreaches = (sort: BreachSort): ((a: BreachPlace, b: BreachPlace) => number) => {
  const field = FIELDS[sort.by];
  const sign = sort.direction === "asc" ? 1 : -1;
  const text = TEXT_KEYS.has(sort.by);
  return (a, b) =>
    sign * (text ? compareText(a[field] as string | null | undefined, b[field] as string | null | undefined) : (a[field] as number) - (b[field] as number)) ||
    b.overMs - a.overMs ||
    a.eventId - b.eventId;
};

/** A page's place as a cursor holds it: [sort parameter, sorted value, over, event id]. Pure. */
export const breachPlaceTuple = (sort: BreachSort, b: BreachOrderFields): readonly [string, number | string | null, number, number] => [
  breachSortParam(sort),
  b[FIELDS[sort.by]],
  b.overMs,
  b.eventId,
];

/**
 * The place a cursor's tuple names under `sort`, or undefined when it is not one the list gave
 * out for this sort (another sort's cursor, a value of the wrong type, an id that is not one). Pure.
 */
export const breachPlaceOf = (sort: BreachSort, tuple: unknown): BreachPlace | undefined => {
  if (!Array.isArray(tuple) || tuple.length !== 4) return undefined;
  const [param, value, overMs, eventId] = tuple as unknown[];
  if (param !== breachSortParam(sort)) return undefined;
  if (typeof overMs !== "number" || !Number.isFinite(overMs) || typeof eventId !== "number" || !Number.isSafeInteger(eventId) || eventId < 1) return undefined;
  const valueFits = TEXT_KEYS.has(sort.by)
    ? (typeof value === "string" && value.length <= 500) || (value === null && sort.by === "agent")
    : typeof value === "number" && Number.isFinite(value);
  return valueFits ? { eventId, overMs, [FIELDS[sort.by]]: value } : undefined;
};

/**
 * The first `limit` of `items` under `compare`, in order, without sorting them all: one pass
 * keeping the best `limit` so far (a page is at most 50 of thousands). `more` says whether any
 * was left out. Pure; `items` is not changed.
 */
export const firstInOrder = <T>(items: ReadonlyArray<T>, limit: number, compare: (a: T, b: T) => number): { readonly page: T[]; readonly more: boolean } => {
  const page: T[] = [];
  if (limit < 1) return { page, more: items.length > 0 };
  for (const item of items) {
    if (page.length === limit && compare(item, page[limit - 1]!) >= 0) continue;
    // Where it goes: after every kept item that comes before it (binary search).
    let lo = 0;
    let hi = page.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(page[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    page.splice(lo, 0, item);
    if (page.length > limit) page.pop();
  }
  return { page, more: items.length > page.length };
};
