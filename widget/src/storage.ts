/**
 * What the widget remembers per channel: the visitor token and the open conversation in
 * localStorage (they survive reloads and navigation across the site), one-per-visit flags in
 * sessionStorage. Storage can be missing or throw (privacy modes, sandboxed iframes): then the
 * widget keeps the values in memory for this page.
 */

export type StoreName = "localStorage" | "sessionStorage";

export interface KeyValue {
  readonly get: (key: string) => string | null;
  readonly set: (key: string, value: string) => void;
  readonly remove: (key: string) => void;
}

/** The browser store of that name, or a memory map when it is unusable. */
export const browserStore = (name: StoreName): KeyValue => {
  const memory = new Map<string, string>();
  const store = (): Storage | null => {
    try {
      return window[name];
    } catch {
      return null;
    }
  };
  return {
    get: (key) => {
      try {
        return store()?.getItem(key) ?? memory.get(key) ?? null;
      } catch {
        return memory.get(key) ?? null;
      }
    },
    set: (key, value) => {
      memory.set(key, value);
      try {
        store()?.setItem(key, value);
      } catch {
        // Quota or privacy mode: the memory copy serves this page.
      }
    },
    remove: (key) => {
      memory.delete(key);
      try {
        store()?.removeItem(key);
      } catch {
        // As above.
      }
    },
  };
};

/** The storage key of one remembered value for one channel. Pure. */
export const storageKey = (channel: string, name: "visitor" | "conversation" | "known" | "welcome" | `popped:${string}`): string => `parley:${channel}:${name}`;
