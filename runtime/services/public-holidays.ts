/**
 * A country's (or one of its regions') public holidays, from the date-holidays library (its
 * data: 200+ countries, regional holidays, movable feasts computed per year; decision 047):
 * what an admin adds to the workspace's closed dates in one step instead of typing each. Only
 * holidays of type "public" (days off by law, substitute days included); bank, school and
 * optional holidays and observances are left out. Names in English where the data has them.
 * Pure apart from the library's cached instances; server side only (the data is ~1.5 MB).
 */
import Holidays from "date-holidays";

export interface HolidayPlace {
  /** ISO 3166-1 alpha-2 for a country (`DE`), the library's subdivision code for a region (`BY`). */
  readonly code: string;
  readonly name: string;
}

export interface PublicHoliday {
  /** YYYY-MM-DD, the country's own calendar day. */
  readonly date: string;
  readonly name: string;
}

const byName = (a: HolidayPlace, b: HolidayPlace) => a.name.localeCompare(b.name, "en");
const places = (record: Record<string, string> | undefined): ReadonlyArray<HolidayPlace> =>
  Object.entries(record ?? {})
    .map(([code, name]) => ({ code, name }))
    .sort(byName);

let countries: ReadonlyArray<HolidayPlace> | undefined;
/** Every country the data knows, by English name. */
export const holidayCountries = (): ReadonlyArray<HolidayPlace> => (countries ??= places(new Holidays().getCountries("en")));

const regions = new Map<string, ReadonlyArray<HolidayPlace>>();
/** The regions of `country` with holidays of their own (none for most countries); null for a country the data does not know. */
export const holidayRegions = (country: string): ReadonlyArray<HolidayPlace> | null => {
  if (!holidayCountries().some((c) => c.code === country)) return null;
  let list = regions.get(country);
  if (list === undefined) {
    list = places(new Holidays().getStates(country, "en"));
    regions.set(country, list);
  }
  return list;
};

/**
 * The public holidays of `country` (and `region`, when given) in `year`, in date order, one per
 * day (the first name when two fall together). The caller checks the codes first
 * (holidayCountries, holidayRegions).
 */
export const publicHolidays = (country: string, region: string | undefined, year: number): ReadonlyArray<PublicHoliday> => {
  const calendar = region === undefined ? new Holidays(country, { languages: ["en"] }) : new Holidays(country, region, { languages: ["en"] });
  const out = new Map<string, string>();
  for (const h of calendar.getHolidays(year) || []) {
    if (h.type !== "public") continue;
    const date = h.date.slice(0, 10);
    if (date.startsWith(String(year)) && !out.has(date)) out.set(date, h.name);
  }
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([date, name]) => ({ date, name }));
};
