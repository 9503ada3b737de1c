/**
 * The Versions tab: every published version with who published it, when, and what changed
 * against the one before; any of them can be restored as the draft (an undoable edit that
 * autosave then saves — publishing it again makes it live).
 */
import type { ChangeSummary, VersionHistoryEntry } from "../../runtime.server.js";

export interface VersionsPanelProps {
  readonly history: ReadonlyArray<VersionHistoryEntry>;
  readonly onRestore: (entry: VersionHistoryEntry) => void;
  readonly restoring: string | null;
  readonly readOnly?: boolean;
}

const FLOW_PARTS: Record<string, string> = {
  name: "name",
  kind: "kind",
  language: "language",
  start: "start step",
  variables: "variables",
  settings: "settings",
};

/** "2 steps added (Question "Email", End done) · 1 changed · settings changed". Pure. */
export const changeLine = (changes: ChangeSummary, first: boolean): string => {
  const list = (items: ChangeSummary["added"]) =>
    items.length === 0 ? "" : ` (${items.slice(0, 4).map((n) => n.name).join(", ")}${items.length > 4 ? `, +${items.length - 4} more` : ""})`;
  const parts: string[] = [];
  if (first) return `First version: ${changes.added.length} step${changes.added.length === 1 ? "" : "s"}.`;
  if (changes.added.length > 0) parts.push(`${changes.added.length} added${list(changes.added)}`);
  if (changes.removed.length > 0) parts.push(`${changes.removed.length} removed${list(changes.removed)}`);
  if (changes.changed.length > 0) parts.push(`${changes.changed.length} changed${list(changes.changed)}`);
  if (changes.flow.length > 0) parts.push(`${changes.flow.map((f) => FLOW_PARTS[f] ?? f).join(", ")} changed`);
  return parts.length === 0 ? "No changes to the steps." : `Steps: ${parts.join(" · ")}.`;
};

const when = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

/** The version history table with a "Restore as draft" button per version. */
export function VersionsPanel({ history, onRestore, restoring, readOnly = false }: VersionsPanelProps) {
  if (history.length === 0) {
    return (
      <div className="vs-panel">
        <p>Nothing published yet. When you publish, each version is kept here, and you can bring any of them back as the draft.</p>
      </div>
    );
  }
  const oldest = history[history.length - 1]!;
  return (
    <div className="vs-panel">
      <p className="muted">
        Conversations stay on the version they started on; publishing never changes one in progress.
      </p>
      <table className="table vs-table">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">By</th>
            <th scope="col">What changed</th>
            <th scope="col">
              <span className="fe-sr">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {history.map((entry) => (
            <tr key={entry.id} aria-label={`Version ${entry.version}`}>
              <td>
                v{entry.version} {entry.live ? <span className="badge badge--live">live</span> : null}
              </td>
              <td>
                <time dateTime={new Date(entry.publishedAt).toISOString()}>{when.format(entry.publishedAt)}</time>
              </td>
              <td>{entry.publishedByName ?? "—"}</td>
              <td>{changeLine(entry.changes, entry.version === 1 && entry.id === oldest.id)}</td>
              <td>
                <button
                  type="button"
                  className="button button--secondary button--small"
                  disabled={readOnly || restoring !== null}
                  onClick={() => onRestore(entry)}
                  aria-label={`Restore v${entry.version} as draft`}
                >
                  {restoring === entry.id ? "Restoring…" : "Restore as draft"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
