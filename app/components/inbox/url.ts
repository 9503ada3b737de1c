/**
 * Inbox URLs: the list's filter lives in the query string, so links keep it. Pure (but for
 * `openConversationNow`, which reads the address bar); safe on the client.
 */
import { openConversationOf } from "./live-logic.js";

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

/**
 * The conversation the address bar names now (null on the list alone). The list's keys read it at
 * key time: a navigation changes the URL as it completes, but the new route renders in a React
 * transition, so for a moment the page still shows the previous conversation, and a key pressed
 * then (x or j right after j) acted on that one: x took the previous row out of the selection.
 * Browser only.
 */
export const openConversationNow = (): string | null => openConversationOf(window.location.pathname);
