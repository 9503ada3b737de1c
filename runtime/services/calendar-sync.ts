/**
 * What a calendar subscription's sync does to a closed-dates list (decision 057), pure: given the
 * list as stored, the dates the subscription added before (its provenance) and the calendar's
 * dates now, the list after the sync and the subscription's new provenance.
 *
 * - A date is the subscription's while the list holds it exactly as the subscription wrote it
 *   (same day, yearly or not, name and hours). A date typed by hand, added by another
 *   subscription or a one-off import, or changed since, is never touched.
 * - A calendar day the list does not close yet is added (and becomes the subscription's); one it
 *   already closes for another reason is skipped, with why.
 * - A date of the subscription whose calendar event was renamed is renamed.
 * - A date of the subscription that left the calendar is removed — unless it lies before today:
 *   the calendar reader drops past days, and a past closed date is history the reports read.
 * - A date of the subscription that a person removed is not added back while the calendar keeps
 *   it (the provenance remembers it); once the calendar drops it too, it is forgotten.
 * - More than MAX_CLOSED_DATES after the sync: refused, nothing changes.
 */
import { sameClosedDay } from "../../flows/availability.js";
import { MAX_CLOSED_DATES, type ClosedDate } from "../../flows/flow-spec.js";
import { sortClosedDates } from "./calendar-import.js";
import type { Sqlite } from "./database.js";

/** A day of a calendar that the sync left alone, and why. */
export interface SyncSkip {
  readonly date: string;
  readonly reason: string;
}

export interface CalendarSyncPlan {
  /** The list after the sync, in order; the stored list when refused. */
  readonly closedDates: ReadonlyArray<ClosedDate>;
  /** The subscription's dates after the sync (its provenance); the old ones when refused. */
  readonly owned: ReadonlyArray<ClosedDate>;
  readonly added: ReadonlyArray<ClosedDate>;
  readonly renamed: ReadonlyArray<{ readonly from: ClosedDate; readonly to: ClosedDate }>;
  readonly removed: ReadonlyArray<ClosedDate>;
  readonly skipped: ReadonlyArray<SyncSkip>;
  /** Why nothing changed, when the sync would pass the list's cap. */
  readonly refused?: string;
}

/** The same entry of a list: the same day, and yearly or not. Pure. */
const sameEntry = (a: ClosedDate, b: ClosedDate): boolean => a.date === b.date && (a.yearly ?? false) === (b.yearly ?? false);

const hoursText = (c: ClosedDate) => (c.hours ?? []).map((h) => `${h.from}-${h.to}`).join(",");

/** Exactly as written: the same entry with the same name and hours. Pure. */
export const sameClosedDate = (a: ClosedDate, b: ClosedDate): boolean => sameEntry(a, b) && (a.name ?? "") === (b.name ?? "") && hoursText(a) === hoursText(b);

const isPast = (c: ClosedDate, today: string) => !c.yearly && c.date < today;

/** The sync of `calendar` (its dates now) into `list`, for a subscription that added `owned`, on `today` (YYYY-MM-DD). Pure. */
export const planCalendarSync = (
  list: ReadonlyArray<ClosedDate>,
  owned: ReadonlyArray<ClosedDate>,
  calendar: ReadonlyArray<ClosedDate>,
  today: string,
): CalendarSyncPlan => {
  let next = [...list];
  const nextOwned: ClosedDate[] = [];
  const added: ClosedDate[] = [];
  const renamed: Array<{ from: ClosedDate; to: ClosedDate }> = [];
  const removed: ClosedDate[] = [];
  const skipped: SyncSkip[] = [];

  for (const mine of owned) {
    const entry = next.find((e) => sameClosedDate(e, mine));
    const now = calendar.find((c) => sameEntry(c, mine));
    if (entry === undefined) {
      // Removed or changed by a person: left as it is; remembered while the calendar still has it.
      if (now !== undefined) nextOwned.push(now);
      continue;
    }
    if (now === undefined) {
      if (isPast(mine, today)) nextOwned.push(mine);
      else {
        next = next.filter((e) => e !== entry);
        removed.push(mine);
      }
      continue;
    }
    if (!sameClosedDate(now, mine)) {
      next = next.map((e) => (e === entry ? now : e));
      renamed.push({ from: mine, to: now });
    }
    nextOwned.push(now);
  }

  for (const date of calendar) {
    if (owned.some((mine) => sameEntry(mine, date))) continue;
    const clash = next.find((e) => sameClosedDay(e, date));
    if (clash !== undefined) {
      skipped.push({ date: date.date, reason: `already closed${clash.name ? ` (${clash.name})` : ""}` });
      continue;
    }
    next.push(date);
    added.push(date);
    nextOwned.push(date);
  }

  if (next.length > MAX_CLOSED_DATES) {
    return {
      closedDates: list,
      owned,
      added: [],
      renamed: [],
      removed: [],
      skipped,
      refused: `this sync would make ${next.length} closed dates; at most ${MAX_CLOSED_DATES}: remove past ones first`,
    };
  }
  return { closedDates: sortClosedDates(next), owned: sortClosedDates(nextOwned), added, renamed, removed, skipped };
};

/** True when the plan changes the list. Pure. */
export const changesList = (plan: CalendarSyncPlan): boolean => plan.added.length + plan.renamed.length + plan.removed.length > 0;

/**
 * Unsubscribing and removing what the subscription added: its dates still in the list as it wrote
 * them, from today on (a past one is history the reports read, as in a sync). Pure.
 */
export const planUnsubscribe = (list: ReadonlyArray<ClosedDate>, owned: ReadonlyArray<ClosedDate>, today: string) => {
  const removed = list.filter((e) => !isPast(e, today) && owned.some((mine) => sameClosedDate(e, mine)));
  return { closedDates: list.filter((e) => !removed.includes(e)), removed };
};

/**
 * A change of a closed-dates list decided inside the list's own write (Reports.changeClosedDates,
 * Workspace.changeTeamClosedDates): `plan` reads the stored list and says what to store (null:
 * nothing) and what to answer; `alongside` writes in the same transaction (the subscription's own
 * row and audit line), so the list and the subscription's provenance commit together.
 */
export interface ClosedDatesChange<A> {
  readonly plan: (list: ReadonlyArray<ClosedDate>) => { readonly store: ReadonlyArray<ClosedDate> | null; readonly result: A };
  readonly alongside: (sqlite: Sqlite, result: A) => void;
}
