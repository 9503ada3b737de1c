/**
 * Inbox URLs: the list's filter lives in the query string, so links keep it. Pure; safe on the client.
 */

/** The fields of the list's filter, in the order they appear in URLs. */
export const FILTER_KEYS = ["view", "inboxId", "channelId", "teamId", "assigneeId", "label", "search"] as const;

/** `?view=mine&search=x` from a filter and changes (undefined or "" drops a key; the cursor never carries over). Pure. */
export const listSearch = (filter: Readonly<Record<string, string>>, changes: Readonly<Record<string, string | undefined>> = {}): string => {
  const params = new URLSearchParams();
  for (const key of [...FILTER_KEYS, "cursor"]) {
    const value = key in changes ? changes[key] : key === "cursor" ? undefined : filter[key];
    if (value !== undefined && value !== "") params.set(key, value);
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
};

/** The thread's URL with the list's filter kept. Pure. */
export const threadHref = (conversationId: string, filter: Readonly<Record<string, string>>): string =>
  `/inbox/${encodeURIComponent(conversationId)}${listSearch(filter)}`;
