/**
 * The inbox page's live connection: one EventSource on /inbox/events. Every change re-reads
 * the page's loaders (debounced, through the revalidator — no reload); typing events are kept
 * as local state; a conversation handed or assigned to the agent, or an @mention, becomes an
 * in-page notice, a browser notification and/or a sound, as the agent's settings say. What bots
 * say in the conversations they hold comes on the Bot view's feed (`?bots=all`), elsewhere only
 * for the thread that is open (decision 059).
 */
import { useLocation, useRevalidator } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { LabelChip } from "../../runtime.server.js";
import {
  hoursRecheckDelay,
  needsRefresh,
  noticeFor,
  openConversationOf,
  parseLiveMessage,
  presenceOf,
  refreshDelay,
  shouldNotify,
  typingOf,
  type Notice,
  type NotifySettings,
  type PresenceInfo,
} from "./live-logic.js";

export interface TypingInfo {
  readonly userId: string;
  readonly name: string;
  readonly internal: boolean;
  readonly until: number;
}
/** Typing people per conversation id. */
export type TypingMap = Readonly<Record<string, ReadonlyArray<TypingInfo>>>;

/** Per conversation id, the latest presence change heard of each teammate since the feed (re)connected. */
export type PresenceMap = Readonly<Record<string, ReadonlyArray<PresenceInfo>>>;

/** What the inbox layout hands its thread route (useOutletContext). */
export interface InboxOutletContext {
  readonly me: { readonly id: string; readonly name: string };
  readonly options: {
    readonly inboxes: ReadonlyArray<{ readonly id: string; readonly name: string }>;
    readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
    readonly people: ReadonlyArray<{
      readonly id: string;
      readonly name: string;
      readonly availability: "available" | "away";
      readonly inboxIds: ReadonlyArray<string> | "all";
    }>;
    /** Every label, for the thread's Labels menu. */
    readonly labels: ReadonlyArray<LabelChip>;
  };
  readonly typing: TypingMap;
  readonly presence: PresenceMap;
  /** The list's current filter (query-string fields), to keep in links. */
  readonly listFilter: Readonly<Record<string, string>>;
}

export interface Toast extends Notice {
  readonly key: number;
}

const TYPING_TTL_MS = 6000;
const TOAST_MS = 10_000;
const KINDS = ["message", "typing", "status", "assignment", "conversation", "presence"] as const;

let audio: AudioContext | undefined;
/** A short two-tone chime (Web Audio; no file to load). Not pure. */
export const chime = () => {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    audio ??= new Ctx();
    if (audio.state === "suspended") void audio.resume();
    const now = audio.currentTime;
    [880, 1320].forEach((frequency, i) => {
      const oscillator = audio!.createOscillator();
      const gain = audio!.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + i * 0.14);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.14 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.14 + 0.13);
      oscillator.connect(gain).connect(audio!.destination);
      oscillator.start(now + i * 0.14);
      oscillator.stop(now + i * 0.14 + 0.14);
    });
  } catch {
    // A browser without sound (or that refuses it before a click) just stays quiet.
  }
};

/** Connects the page to the live feed; see the module doc. */
export function useInboxLive(options: { readonly me: string; readonly notifications: NotifySettings }) {
  const revalidator = useRevalidator();
  const [connected, setConnected] = useState(false);
  const [typing, setTyping] = useState<TypingMap>({});
  const [presence, setPresence] = useState<PresenceMap>({});
  const [toasts, setToasts] = useState<ReadonlyArray<Toast>>([]);
  const [announcement, setAnnouncement] = useState("");
  const latest = useRef({ revalidator, ...options });
  latest.current = { revalidator, ...options };

  const dismiss = useCallback((key: number) => setToasts((all) => all.filter((t) => t.key !== key)), []);
  // On the Bot view the feed also carries what bots say in the conversations they hold; elsewhere
  // only for the conversation the person has open (the server knows it from the thread's presence).
  const botView = new URLSearchParams(useLocation().search).get("view") === "bot";
  const fedBefore = useRef(false);

  useEffect(() => {
    const source = new EventSource(botView ? "/inbox/events?bots=all" : "/inbox/events");
    let timer: ReturnType<typeof setTimeout> | undefined;
    let opened = false;
    let toastKey = 0;
    const lastShown = new Map<string, number>();
    // When the first change the page has not read yet was heard (undefined: none pending).
    let pendingSince: number | undefined;
    const refresh = () => {
      const now = Date.now();
      pendingSince ??= now;
      clearTimeout(timer);
      timer = setTimeout(() => {
        pendingSince = undefined;
        latest.current.revalidator.revalidate();
      }, refreshDelay(pendingSince, now));
    };

    const notify = (notice: Notice) => {
      const now = Date.now();
      const settings = latest.current.notifications;
      if (!shouldNotify(notice, settings, lastShown.get(notice.conversationId), now)) return;
      lastShown.set(notice.conversationId, now);
      const key = ++toastKey;
      setToasts((all) => [...all.slice(-3), { ...notice, key }]);
      setTimeout(() => setToasts((all) => all.filter((t) => t.key !== key)), TOAST_MS);
      setAnnouncement(notice.title);
      const by = settings[notice.kind];
      if (by.sound) chime();
      const visible = document.visibilityState === "visible" && document.hasFocus();
      if (by.browser && !visible && typeof Notification !== "undefined" && Notification.permission === "granted") {
        const shown = new Notification(notice.title, { body: notice.body, tag: `parley-${notice.conversationId}` });
        shown.onclick = () => {
          window.focus();
          window.location.assign(`/inbox/${encodeURIComponent(notice.conversationId)}`);
        };
      }
    };

    const onEvent = (message: MessageEvent<string>) => {
      const event = parseLiveMessage(message.data);
      if (!event) return;
      const me = latest.current.me;
      const who = typingOf(event, me);
      if (who) {
        setTyping((map) => {
          const others = (map[who.conversationId] ?? []).filter((t) => t.userId !== who.userId);
          const next = who.typing ? [...others, { userId: who.userId, name: who.name, internal: who.internal, until: Date.now() + TYPING_TTL_MS }] : others;
          return { ...map, [who.conversationId]: next };
        });
      }
      const seen = presenceOf(event, me);
      if (seen) {
        const { conversationId, ...change } = seen;
        setPresence((map) => ({
          ...map,
          [conversationId]: [...(map[conversationId] ?? []).filter((p) => p.userId !== change.userId), { ...change, at: Date.now() }],
        }));
      }
      if (event.kind === "message") {
        // A message ends its author's typing.
        const author = (event.data as { userId?: unknown } | null)?.userId;
        if (typeof author === "string") {
          setTyping((map) => (map[event.conversationId] ? { ...map, [event.conversationId]: map[event.conversationId]!.filter((t) => t.userId !== author) } : map));
        }
      }
      if (needsRefresh(event, openConversationOf(window.location.pathname), botView ? "bot" : null)) refresh();
      const notice = noticeFor(event, me);
      if (notice) notify(notice);
    };

    source.onopen = () => {
      setConnected(true);
      // After a reconnect, whatever happened while the feed was down is read again; presence
      // heard before may be stale, and each open thread's next heartbeat tells it anew. A new
      // feed for the Bot view coming or going re-reads too: the old one closed before it opened.
      if (opened) {
        refresh();
        setPresence({});
      } else if (fedBefore.current) refresh();
      opened = true;
      fedBefore.current = true;
    };
    source.onerror = () => setConnected(source.readyState === EventSource.OPEN);
    // A hidden tab reports no presence, so the feed stops carrying what a bot says in the thread
    // it shows: coming back, the page re-reads once.
    const onVisible = () => {
      if (document.visibilityState === "visible") refresh();
    };
    document.addEventListener("visibilitychange", onVisible);
    for (const kind of KINDS) source.addEventListener(kind, onEvent as EventListener);

    const sweep = setInterval(() => {
      const now = Date.now();
      setTyping((map) => {
        let changed = false;
        const next: Record<string, ReadonlyArray<TypingInfo>> = {};
        for (const [id, list] of Object.entries(map)) {
          const alive = list.filter((t) => t.until > now);
          if (alive.length !== list.length) changed = true;
          if (alive.length > 0) next[id] = alive;
        }
        return changed ? next : map;
      });
    }, 2000);

    return () => {
      clearTimeout(timer);
      clearInterval(sweep);
      document.removeEventListener("visibilitychange", onVisible);
      source.close();
    };
  }, [botView]);

  return { connected, typing, presence, toasts, dismiss, announcement };
}

/**
 * Re-reads the page's data when a queued conversation's team opens or closes by its hours
 * (`changesAt`, from the loader; decision 048), which no live event announces unless the queue
 * drains to someone.
 */
export function useHoursRecheck(changesAt: number | null) {
  const revalidator = useRevalidator();
  const latest = useRef(revalidator);
  latest.current = revalidator;
  useEffect(() => {
    const delay = hoursRecheckDelay(changesAt, Date.now());
    if (delay === null) return;
    const timer = setTimeout(() => latest.current.revalidate(), delay);
    return () => clearTimeout(timer);
  }, [changesAt]);
}
