/**
 * Tells the server the agent has a conversation open, and says who else has it open
 * (runtime/services/presence.ts): a heartbeat when the thread opens, again at the interval the
 * server names while the tab is visible and at once when it becomes visible again, and "left"
 * when the thread closes or the page goes away (a keepalive fetch, which outlives the page).
 * Between heartbeats the inbox's live feed adds and removes teammates as they come and go.
 */
import { useEffect, useState } from "react";
import { useCsrfToken } from "../csrf-input.js";
import { viewersOf, type PresenceInfo } from "./live-logic.js";

type Viewers = ReadonlyArray<{ readonly userId: string; readonly name: string }>;

const FIRST_GUESS_MS = 20_000;

export function useViewers(conversationId: string, me: string, live: ReadonlyArray<PresenceInfo> | undefined): Viewers {
  const csrf = useCsrfToken();
  const [server, setServer] = useState<{ readonly at: number; readonly viewers: Viewers }>({ at: 0, viewers: [] });

  useEffect(() => {
    const url = `/inbox/${encodeURIComponent(conversationId)}/presence`;
    const send = (viewing: boolean, keepalive = false) =>
      fetch(url, {
        method: "POST",
        keepalive,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ viewing }),
      });
    let stopped = false;
    let inFlight = false;
    let every = FIRST_GUESS_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const beat = async () => {
      clearTimeout(timer);
      if (stopped || inFlight) return;
      if (document.visibilityState === "visible") {
        inFlight = true;
        try {
          const response = await send(true);
          if (response.ok) {
            const body = (await response.json()) as { viewers?: Viewers; heartbeatMs?: number };
            if (!stopped) setServer({ at: Date.now(), viewers: Array.isArray(body.viewers) ? body.viewers : [] });
            if (typeof body.heartbeatMs === "number" && body.heartbeatMs >= 1000) every = body.heartbeatMs;
          }
        } catch {
          // Offline for a moment: the next heartbeat tries again.
        } finally {
          inFlight = false;
        }
      }
      if (!stopped) timer = setTimeout(() => void beat(), every);
    };
    const left = () => void send(false, true).catch(() => undefined);
    const onVisibility = () => {
      if (document.visibilityState === "visible") void beat();
    };
    setServer({ at: 0, viewers: [] });
    void beat();
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pagehide", left);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pagehide", left);
      left();
    };
  }, [conversationId, csrf]);

  return viewersOf(server, live ?? [], me);
}
