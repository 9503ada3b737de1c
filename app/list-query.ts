/**
 * A list page's filters in its query string (a GET form's fields): read them, and write the
 * address of the same list with some changed. Pure; safe on the client.
 * (The tickets list, app/routes/tickets._index.tsx, has its own copy of both; it can use these.)
 */

/** The non-blank values of `keys` in `params`. Pure. */
export const listFilter = (params: URLSearchParams, keys: ReadonlyArray<string>): Record<string, string> => {
  const entries = keys.map((key) => [key, params.get(key)?.trim() ? params.get(key)! : undefined] as const);
  return Object.fromEntries(entries.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
};

/**
 * The query string ("?…", or `bare` when empty) of the list with `changes` applied; `page` (the
 * pagination key, e.g. "cursor") is dropped unless changed, since a new filter starts at its
 * first page. Pure.
 */
export const listHref = (
  filter: Readonly<Record<string, string>>,
  keys: ReadonlyArray<string>,
  changes: Readonly<Record<string, string | undefined>>,
  options: { readonly page: string; readonly bare: string },
): string => {
  const params = new URLSearchParams();
  for (const key of keys) {
    const value = key in changes ? changes[key] : key === options.page ? undefined : filter[key];
    if (value) params.set(key, value);
  }
  const query = params.toString();
  return query === "" ? options.bare : `?${query}`;
};
