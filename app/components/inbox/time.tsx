import { useEffect, useState } from "react";
import { fullTime, messageTime, shortDuration } from "./labels.js";

/** False on the server and the first client render, true after hydration. */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/** The loader's clock at first, then the browser's, ticking every 30 s (relative times stay fresh). */
export function useNow(initial: number): number {
  const [now, setNow] = useState(initial);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, [initial]);
  return now;
}

const utc = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/**
 * A time in the viewer's time zone. The server renders UTC (it cannot know the zone); after
 * hydration the browser shows local time, so the first client render matches the server's.
 */
export function Time({ at, now, style = "message" }: { at: number; now: number; style?: "message" | "full" | "ago" }) {
  const hydrated = useHydrated();
  const iso = new Date(at).toISOString();
  let text: string;
  if (style === "ago") text = shortDuration(at, now) === "just now" ? "just now" : `${shortDuration(at, now)} ago`;
  else if (!hydrated) text = `${utc.format(at)} UTC`;
  else text = style === "full" ? fullTime(at) : messageTime(at, now);
  return (
    <time dateTime={iso} title={hydrated ? fullTime(at) : undefined}>
      {text}
    </time>
  );
}
