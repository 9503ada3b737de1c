/**
 * The live connection of one conversation: an EventSource on /stream (agent replies, typing,
 * status), a catch-up request for everything after the last seen id whenever it (re)connects,
 * and polling every 3 s when streams keep failing. Duplicates are the caller's merge's job.
 */
import { isMessage } from "./messages.js";
import { afterStreamError, POLL_INTERVAL_MS } from "./stream-policy.js";
import type { Message } from "./types.js";

export interface StreamOptions {
  /** Stream URL including `?token=`. */
  readonly url: string;
  /** The highest message id the widget holds (resume point). */
  readonly lastSeenId: () => string | undefined;
  /** GET /messages?after=… */
  readonly fetchAfter: (after: string | undefined) => Promise<ReadonlyArray<Message>>;
  /** `animate` is true for what happens now (typing delays apply), false for catch-up. */
  readonly onMessages: (messages: ReadonlyArray<Message>, animate: boolean) => void;
  readonly onTyping: (typing: boolean) => void;
  readonly onStatus: (status: string) => void;
}

export interface StreamHandle {
  readonly close: () => void;
  /** "stream" while an EventSource is in use, "poll" after falling back. */
  readonly mode: () => "stream" | "poll";
}

const parse = (event: Event): unknown => {
  try {
    return JSON.parse((event as MessageEvent<string>).data);
  } catch {
    return null;
  }
};

/** Connects now; every callback runs until `close()`. */
export const connectStream = (options: StreamOptions): StreamHandle => {
  let source: EventSource | null = null;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let fetching = false;

  const catchUp = async () => {
    if (fetching || closed) return;
    fetching = true;
    try {
      const messages = await options.fetchAfter(options.lastSeenId());
      if (!closed && messages.length > 0) options.onMessages(messages, false);
    } catch {
      // The next connect or poll asks again from the same id.
    } finally {
      fetching = false;
    }
  };

  const startPolling = (intervalMs: number) => {
    source?.close();
    source = null;
    if (poller === undefined) poller = setInterval(catchUp, intervalMs);
    void catchUp();
  };

  const connect = () => {
    if (closed) return;
    if (typeof EventSource === "undefined") return startPolling(POLL_INTERVAL_MS);
    const after = options.lastSeenId();
    const es = new EventSource(after ? `${options.url}&lastEventId=${encodeURIComponent(after)}` : options.url);
    source = es;
    es.addEventListener("open", () => {
      failures = 0;
      // Whatever was said while we were away (the stream only carries what happens from now).
      void catchUp();
    });
    // Events from a source we have let go of (closed, replaced, polling instead) are ignored.
    const on = (type: string, handle: (data: unknown) => void) =>
      es.addEventListener(type, (event) => {
        if (!closed && source === es) handle(parse(event));
      });
    on("message", (message) => {
      if (isMessage(message)) options.onMessages([message], true);
    });
    on("typing", (data) => {
      const typing = (data as { typing?: unknown } | null)?.typing;
      if (typeof typing === "boolean") options.onTyping(typing);
    });
    on("status", (data) => {
      const status = (data as { status?: unknown } | null)?.status;
      if (typeof status === "string") options.onStatus(status);
    });
    es.addEventListener("error", () => {
      if (closed || source !== es) return;
      failures++;
      const action = afterStreamError(failures, es.readyState === EventSource.CLOSED);
      if (action.kind === "poll") startPolling(action.intervalMs);
      else if (action.kind === "reconnect") {
        es.close();
        source = null;
        timer = setTimeout(connect, action.delayMs);
      }
    });
  };

  connect();
  return {
    close: () => {
      closed = true;
      source?.close();
      clearTimeout(timer);
      clearInterval(poller);
    },
    mode: () => (poller === undefined ? "stream" : "poll"),
  };
};
