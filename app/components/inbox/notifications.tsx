import { Link } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { NotifySettings } from "./live-logic.js";
import { chime } from "./use-inbox-live.js";

type Permission = "unsupported" | "default" | "granted" | "denied";

/**
 * The button that asks the browser for notification permission (browsers only ask after a
 * click), and what the agent's settings turn on. The click also unlocks sound.
 */
export function NotificationsControl({ settings }: { settings: NotifySettings }) {
  // Unknown until mounted: the server cannot know the browser's permission.
  const [permission, setPermission] = useState<Permission | null>(null);
  useEffect(() => {
    setPermission(typeof Notification === "undefined" ? "unsupported" : (Notification.permission as Permission));
  }, []);
  const anyBrowser = settings.assigned.browser || settings.handoff.browser || settings.mention.browser;
  const anySound = settings.assigned.sound || settings.handoff.sound || settings.mention.sound;

  const ask = async () => {
    // A click lets the page play sounds from now on.
    if (anySound) chime();
    if (typeof Notification === "undefined") return;
    setPermission((await Notification.requestPermission()) as Permission);
  };

  if (permission === null) return <span className="notify-control" />;
  return (
    <span className="notify-control">
      {permission === "default" && anyBrowser ? (
        <button type="button" className="button button--secondary button--small" onClick={() => void ask()}>
          Turn on notifications
        </button>
      ) : permission === "granted" && anyBrowser ? (
        <span className="muted" title="Browser notifications are on for this inbox">
          Notifications on
        </span>
      ) : permission === "denied" && anyBrowser ? (
        <span className="muted" title="Allow notifications for this site in the browser's settings">
          Notifications blocked
        </span>
      ) : null}{" "}
      <Link to="/settings/profile" className="notify-control__settings">
        Notification settings
      </Link>
    </span>
  );
}
