/**
 * A conversation label as a coloured chip, and a row of them (the inbox's list rows, the
 * thread's header, Settings → Labels). The colour is also said in words for whoever cannot see it.
 */
import type { LabelChip as Chip, LabelColor } from "../../runtime.server.js";

/** The palette's colours by name, as the UI says them. */
export const colorNames: Readonly<Record<LabelColor, string>> = {
  gray: "Gray",
  red: "Red",
  orange: "Orange",
  yellow: "Yellow",
  green: "Green",
  teal: "Teal",
  blue: "Blue",
  purple: "Purple",
};

/** One label's chip. */
export function LabelChip({ label }: { label: Pick<Chip, "name" | "color"> }) {
  return (
    <span className={`label-chip label-chip--${label.color}`} title={label.name}>
      {/* Its own box: an ellipsis applies to an element's text, not to a flex container's loose text. */}
      <span className="label-chip__name">{label.name}</span>
    </span>
  );
}

/**
 * A conversation's labels as a list of chips; nothing when it has none. `scrollable`: the row may
 * scroll sideways (CSS decides where), so it is focusable from the keyboard. Spans with list roles:
 * it also sits inside a list row's link, where a <ul> may not.
 */
export function LabelChips({
  labels,
  className,
  scrollable,
  max,
}: {
  labels: ReadonlyArray<Chip>;
  className?: string;
  scrollable?: boolean;
  /** At most this many items: beyond it, the first ones and a "+N" chip naming the rest. */
  max?: number;
}) {
  if (labels.length === 0) return null;
  const folded = max !== undefined && labels.length > max;
  const shown = folded ? labels.slice(0, Math.max(max - 1, 0)) : labels;
  const rest = labels.slice(shown.length);
  return (
    <span
      className={["label-chips", className ?? ""].join(" ").trim()}
      role="list"
      aria-label="Labels"
      // A row that may scroll sideways (the thread's, on a phone) takes the focus, so arrow keys can scroll it.
      tabIndex={scrollable ? 0 : undefined}
    >
      {shown.map((label) => (
        <span key={label.id} role="listitem">
          <LabelChip label={label} />
        </span>
      ))}
      {folded ? (
        <span role="listitem">
          <span className="label-chip label-chip--more" title={rest.map((label) => label.name).join(", ")}>
            +{rest.length}
            <span className="visually-hidden"> more: {rest.map((label) => label.name).join(", ")}</span>
          </span>
        </span>
      ) : null}
    </span>
  );
}
