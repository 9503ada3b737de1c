import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BREACH_SORT_KEYS,
  breachPlaceOf,
  breachPlaceTuple,
  breachSortParam,
  compareBreaches,
  DEFAULT_BREACH_SORT,
  firstInOrder,
  parseBreachSort,
  type BreachOrderFields,
  type BreachSort,
} from "./breach-order.js";

const MIN = 60_000;
const answer = (eventId: number, fields: Partial<BreachOrderFields> = {}): BreachOrderFields => ({
  eventId,
  overMs: 5 * MIN,
  actualMs: 10 * MIN,
  waitedFrom: 1_000_000,
  at: 2_000_000,
  agentName: "Alex Agent",
  inboxName: "Support",
  ...fields,
});
const ids = (list: ReadonlyArray<BreachOrderFields>) => list.map((b) => b.eventId);
const sorted = (list: ReadonlyArray<BreachOrderFields>, sort: BreachSort) => [...list].sort(compareBreaches(sort));

describe("the sort parameter", () => {
  it("names a column, descending with a leading -, and nothing else", () => {
    expect(parseBreachSort("over")).toEqual({ by: "over", direction: "asc" });
    expect(parseBreachSort("-answered")).toEqual({ by: "answered", direction: "desc" });
    for (const bad of ["", "-", "--over", "Over", "over ", "title", "+over", "over,agent"]) expect(parseBreachSort(bad), bad).toBeUndefined();
    for (const by of BREACH_SORT_KEYS) {
      for (const direction of ["asc", "desc"] as const) expect(parseBreachSort(breachSortParam({ by, direction }))).toEqual({ by, direction });
    }
    expect(breachSortParam(DEFAULT_BREACH_SORT)).toBe("-over");
  });
});

describe("the order", () => {
  it("is the most over first by default, then the oldest reply", () => {
    const list = [answer(3, { overMs: MIN }), answer(1, { overMs: 9 * MIN }), answer(4, { overMs: 9 * MIN }), answer(2, { overMs: 2 * MIN })];
    expect(ids(sorted(list, DEFAULT_BREACH_SORT))).toEqual([1, 4, 2, 3]);
    expect(ids(sorted(list, { by: "over", direction: "asc" }))).toEqual([3, 2, 1, 4]);
  });

  it("sorts by time taken, waiting since and answered either way; ties fall back to the most over, then the oldest", () => {
    const list = [
      answer(1, { actualMs: 20 * MIN, waitedFrom: 300, at: 900, overMs: MIN }),
      answer(2, { actualMs: 10 * MIN, waitedFrom: 100, at: 700, overMs: 3 * MIN }),
      answer(3, { actualMs: 10 * MIN, waitedFrom: 200, at: 700, overMs: 3 * MIN }),
      answer(4, { actualMs: 30 * MIN, waitedFrom: 100, at: 800, overMs: 8 * MIN }),
    ];
    expect(ids(sorted(list, { by: "took", direction: "desc" }))).toEqual([4, 1, 2, 3]);
    expect(ids(sorted(list, { by: "took", direction: "asc" }))).toEqual([2, 3, 1, 4]);
    expect(ids(sorted(list, { by: "waiting", direction: "asc" }))).toEqual([4, 2, 3, 1]);
    expect(ids(sorted(list, { by: "answered", direction: "desc" }))).toEqual([1, 4, 2, 3]);
  });

  it("sorts agents and inboxes by name as people read them, no agent last A–Z and first Z–A", () => {
    const list = [
      answer(1, { agentName: "bo Berg", inboxName: "Support 10" }),
      answer(2, { agentName: null, inboxName: "Sales" }),
      answer(3, { agentName: "Ängela", inboxName: "Support 2" }),
      answer(4, { agentName: "Bo Berg", inboxName: "support 2", overMs: 9 * MIN }),
      answer(5, { agentName: "Agent 10", inboxName: "Billing" }),
      answer(6, { agentName: "Agent 9", inboxName: "Billing" }),
    ];
    // "Ängela" as "Angela"; case aside, Bo Berg twice: the more over first.
    expect(ids(sorted(list, { by: "agent", direction: "asc" }))).toEqual([6, 5, 3, 4, 1, 2]);
    expect(ids(sorted(list, { by: "agent", direction: "desc" }))).toEqual([2, 4, 1, 3, 5, 6]);
    expect(ids(sorted(list, { by: "inbox", direction: "asc" }))).toEqual([5, 6, 2, 4, 3, 1]);
  });
});

describe("a page's place", () => {
  const list = [answer(1, { agentName: "Bo" }), answer(2, { agentName: null }), answer(3, { agentName: "Alex", overMs: MIN })];

  it("round-trips through its tuple under its own sort only", () => {
    const sort: BreachSort = { by: "agent", direction: "asc" };
    const place = breachPlaceOf(sort, JSON.parse(JSON.stringify(breachPlaceTuple(sort, list[1]!))))!;
    expect(compareBreaches(sort)(place, list[1]!)).toBe(0);
    // After that place: only what comes later in the order.
    const ordered = sorted(list, sort);
    expect(ids(ordered.filter((b) => compareBreaches(sort)(b, place) > 0))).toEqual(ids(ordered.slice(ordered.indexOf(list[1]!) + 1)));
    // Another sort's tuple, or a value of the wrong type, names no place.
    expect(breachPlaceOf({ by: "agent", direction: "desc" }, breachPlaceTuple(sort, list[0]!))).toBeUndefined();
    expect(breachPlaceOf({ by: "inbox", direction: "asc" }, ["inbox", null, 0, 1])).toBeUndefined();
    expect(breachPlaceOf({ by: "took", direction: "asc" }, ["took", "10", 0, 1])).toBeUndefined();
    expect(breachPlaceOf(DEFAULT_BREACH_SORT, ["-over", 5, 5, 1.5])).toBeUndefined();
    expect(breachPlaceOf(DEFAULT_BREACH_SORT, ["-over", 5, 5])).toBeUndefined();
    expect(breachPlaceOf(DEFAULT_BREACH_SORT, { sort: "-over" })).toBeUndefined();
    expect(breachPlaceOf(DEFAULT_BREACH_SORT, ["-over", 5, 5, 7])).toEqual({ eventId: 7, overMs: 5 });
  });
});

describe("firstInOrder", () => {
  it("takes the same first answers as sorting the whole list, and says whether more were left", () => {
    const field = fc.record({
      eventId: fc.integer({ min: 1, max: 10_000 }),
      overMs: fc.integer({ min: 0, max: 50 }),
      actualMs: fc.integer({ min: 0, max: 50 }),
      waitedFrom: fc.integer({ min: 0, max: 50 }),
      at: fc.integer({ min: 0, max: 50 }),
      agentName: fc.option(fc.constantFrom("Ann", "ann", "Bo", "Cy 2", "Cy 10"), { nil: null }),
      inboxName: fc.constantFrom("Sales", "Support", "support"),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(field, { selector: (b) => b.eventId, maxLength: 80 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(...BREACH_SORT_KEYS),
        fc.constantFrom("asc" as const, "desc" as const),
        (list, limit, by, direction) => {
          const compare = compareBreaches({ by, direction });
          const all = [...list].sort(compare);
          const { page, more } = firstInOrder(list, limit, compare);
          expect(page).toEqual(all.slice(0, limit));
          expect(more).toBe(list.length > limit);
        },
      ),
    );
  });
});
