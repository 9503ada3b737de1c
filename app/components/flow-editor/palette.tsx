/**
 * The palette: one button per node kind, grouped. Drag a button onto the canvas to place the
 * node there, or click it (Enter or Space from the keyboard) to add the node after the
 * selected one.
 */
import { memo, type DragEvent } from "react";
import type { NodeKind } from "../../../flows/flow-spec.js";
import { kindsInGroup, PALETTE_GROUPS } from "./node-registry.js";

/** The drag-and-drop data type carrying a node kind from the palette to the canvas. */
export const PALETTE_DRAG_TYPE = "application/x-parley-node-kind";

function PaletteView({ onAdd, disabled }: { onAdd: (kind: NodeKind) => void; disabled: boolean }) {
  const onDragStart = (kind: NodeKind) => (event: DragEvent<HTMLButtonElement>) => {
    event.dataTransfer.setData(PALETTE_DRAG_TYPE, kind);
    event.dataTransfer.effectAllowed = "copy";
  };
  return (
    <nav className="fe-palette" aria-label="Node palette">
      <p className="fe-palette__hint">Drag onto the canvas, or click to add after the selected step.</p>
      {PALETTE_GROUPS.map((group) => (
        <section key={group} className="fe-palette__group" aria-label={group}>
          <h2>{group}</h2>
          <ul>
            {kindsInGroup(group).map((entry) => (
              <li key={entry.kind}>
                <button
                  type="button"
                  className="fe-palette__item"
                  aria-label={`Add ${entry.title} node`}
                  title={entry.description}
                  draggable={!disabled}
                  disabled={disabled}
                  onDragStart={onDragStart(entry.kind)}
                  onClick={() => onAdd(entry.kind)}
                  style={{ "--fe-kind": entry.color } as React.CSSProperties}
                >
                  <svg className="fe-palette__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    {entry.icon}
                  </svg>
                  <span className="fe-palette__text">
                    <span className="fe-palette__title">{entry.title}</span>
                    <span className="fe-palette__desc">{entry.description}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}

/** The palette (memoized: it re-renders only when `onAdd` or `disabled` change). */
export const Palette = memo(PaletteView);
