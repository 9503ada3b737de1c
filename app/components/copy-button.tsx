import { useEffect, useRef, useState } from "react";

type CopyStatus = "idle" | "copied" | "failed";

// The Clipboard API exists only in secure contexts (https, localhost); a plain-http install
// falls back to the older selection copy.
const copyText = async (text: string): Promise<boolean> => {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission, page not focused): try the fallback.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  } finally {
    area.remove();
  }
};

/**
 * A button that copies `text` to the clipboard and says so in a live status next to it
 * ("Copied", or how to copy by hand). Rendered only once JavaScript runs, since it cannot
 * work without it; the text it copies stays selectable on the page.
 */
export function CopyButton({ text, label = "Copy", className }: { text: string; label?: string; className?: string }) {
  const [mounted, setMounted] = useState(false);
  const [status, setStatus] = useState<CopyStatus>("idle");
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => {
    setMounted(true);
    return () => clearTimeout(timer.current);
  }, []);
  if (!mounted) return null;
  const onClick = async () => {
    clearTimeout(timer.current);
    setStatus((await copyText(text)) ? "copied" : "failed");
    timer.current = setTimeout(() => setStatus("idle"), 6000);
  };
  return (
    <span className={className ?? "copy-button"}>
      <button type="button" className="button button--secondary button--small" onClick={() => void onClick()}>
        {label}
      </button>
      <span role="status" className={status === "failed" ? "copy-button__status copy-button__status--failed" : "copy-button__status"}>
        {status === "copied" ? "Copied" : status === "failed" ? "Could not copy: select the text and press Ctrl+C (⌘C on a Mac)" : ""}
      </span>
    </span>
  );
}
