/**
 * The runtime's messages are lower-case sentence fragments ("no such inbox", "enter a name") so
 * they read well after a field path in API errors ("inbox: no such inbox"). Shown on their own —
 * an alert, a field's error, a row of an import report — they start with a capital.
 */

/** `text` with its first character upper-cased ("no such inbox" → "No such inbox"). Pure. */
export const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
