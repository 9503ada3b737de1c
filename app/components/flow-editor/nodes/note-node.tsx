/**
 * A sticky note on the canvas: plain text in a coloured box, resizable (React Flow's
 * NodeResizer) and movable like a card, with no handles, so no edge can reach it. The text is
 * always rendered as text, never as HTML. Double-click edits it in place; the inspector (which
 * keyboard users reach) edits it too.
 */
import { NodeResizer, type Node, type NodeProps } from "@xyflow/react";
import { createContext, memo, useContext, useEffect, useRef, useState, type KeyboardEvent } from "react";
import { NOTE_SIZE, NOTE_TEXT_MAX, type DocumentNote, type NoteColor } from "../../../../flows/flow-document.js";

export interface NoteNodeData extends Record<string, unknown> {
  readonly note: DocumentNote;
}

export type NoteNode = Node<NoteNodeData, "note">;

/** The React Flow node type of canvas notes (no step kind is called this). */
export const NOTE_TYPE = "note";

/** What a note needs from the editor to change its text; provided once so node props stay small. */
export interface NoteEditing {
  readonly readOnly: boolean;
  readonly setText: (noteId: string, text: string) => void;
}

export const NoteEditingContext = createContext<NoteEditing>({ readOnly: true, setText: () => {} });

/** Each colour's name for people (the inspector's choices, the note's accessible name). */
export const NOTE_COLOR_NAMES: Readonly<Record<NoteColor, string>> = {
  yellow: "Yellow",
  blue: "Blue",
  green: "Green",
  pink: "Pink",
  grey: "Grey",
};

/** A note's accessible name on the canvas: "Note: first words…". */
export const noteAriaLabel = (note: DocumentNote): string => {
  const flat = note.text.replace(/\s+/g, " ").trim();
  return flat === "" ? "Note (empty)" : `Note: ${flat.length > 60 ? `${flat.slice(0, 59)}…` : flat}`;
};

function NoteCard({ id, data, selected }: NodeProps<NoteNode>) {
  const { note } = data;
  const editing = useContext(NoteEditingContext);
  const [draft, setDraft] = useState<string | null>(null);
  const areaRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const area = areaRef.current;
    if (draft === null || !area) return;
    // Writing goes on where the text ends. Only when editing starts: doing it on every
    // keystroke would move the caret.
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }, [draft !== null]);

  const startEditing = () => {
    if (!editing.readOnly) setDraft(note.text);
  };
  const finish = () => setDraft(null);
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Keys typed into the note are for the note, not the canvas (Delete, arrows, Ctrl+Z…).
    event.stopPropagation();
    if (event.key === "Escape") {
      event.preventDefault();
      finish();
    }
  };

  return (
    <div
      className={`fe-note-card fe-note-card--${note.color}${selected ? " fe-note-card--selected" : ""}`}
      onDoubleClick={startEditing}
    >
      <NodeResizer
        isVisible={selected && !editing.readOnly}
        minWidth={NOTE_SIZE.minWidth}
        minHeight={NOTE_SIZE.minHeight}
        maxWidth={NOTE_SIZE.maxWidth}
        maxHeight={NOTE_SIZE.maxHeight}
        lineClassName="fe-note-card__resize-line"
        handleClassName="fe-note-card__resize-handle"
      />
      {draft !== null ? (
        <textarea
          ref={areaRef}
          className="fe-note-card__input nodrag nowheel nopan"
          aria-label="Note text"
          value={draft}
          maxLength={NOTE_TEXT_MAX}
          onChange={(event) => {
            setDraft(event.target.value);
            editing.setText(id, event.target.value);
          }}
          onKeyDown={onKeyDown}
          onBlur={finish}
        />
      ) : (
        <p className={note.text === "" ? "fe-note-card__text fe-note-card__text--empty" : "fe-note-card__text"}>
          {note.text === "" ? (editing.readOnly ? "" : "Double-click to write a note") : note.text}
        </p>
      )}
    </div>
  );
}

/** The note component (memoized: an unchanged note never re-renders). */
export const NoteNodeView = memo(NoteCard);
NoteNodeView.displayName = "NoteNode";
