/**
 * The builder's preview: a chat with the flow's saved DRAFT, run by the real engine (the
 * conversations are flagged as previews, so reports leave them out). It shows the variables
 * and contact properties as each turn changes them, reports the current node so the canvas
 * can highlight it, and restarts on demand.
 */
import { useEffect, useReducer, useRef, useState, type FormEvent } from "react";
import type { Device } from "../../../flows/flow-spec.js";
import { capitalise } from "../messages.js";
import { fetchJson } from "./json-fetch.js";
import { emptyPreview, phaseLine, previewReducer, valueRows, type PreviewReply } from "./preview-model.js";

export interface PreviewPaneProps {
  readonly flowId: string;
  readonly csrf: string;
  /** Saves the draft before a preview starts; false when it could not be saved. */
  readonly prepare: () => Promise<boolean>;
  /** Why a preview cannot start now (e.g. the flow has errors), or null. */
  readonly blockedReason: string | null;
  /** The node the conversation waits at (null when none), for the canvas highlight. */
  readonly onCurrentNode: (nodeId: string | null) => void;
  readonly onClose: () => void;
}

let messageSeq = 0;
const clientMessageId = () => `preview-${Date.now().toString(36)}-${(++messageSeq).toString(36)}`;

/** The preview chat pane. */
export function PreviewPane({ flowId, csrf, prepare, blockedReason, onCurrentNode, onClose }: PreviewPaneProps) {
  const [model, send] = useReducer(previewReducer, emptyPreview);
  const [text, setText] = useState("");
  const [picked, setPicked] = useState<ReadonlyArray<string>>([]);
  const [pageUrl, setPageUrl] = useState("https://example.com/");
  const [device, setDevice] = useState<Device>("desktop");
  const log = useRef<HTMLOListElement>(null);
  const url = `/flows/${encodeURIComponent(flowId)}/preview`;

  useEffect(() => {
    onCurrentNode(model.state?.nodeId ?? null);
  }, [model.state?.nodeId, onCurrentNode]);
  useEffect(() => () => onCurrentNode(null), [onCurrentNode]);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: "nearest" });
  }, [model.messages.length]);

  const start = async () => {
    send({ type: "reset" });
    send({ type: "request" });
    if (!(await prepare())) {
      send({ type: "failed", message: "The draft could not be saved, so there is nothing new to preview. See the message at the top." });
      return;
    }
    const answer = await fetchJson<PreviewReply>(url, { csrf, body: { intent: "start", pageUrl, device, language: navigator.language || "en" } });
    if (answer.ok) send({ type: "started", reply: answer.data });
    else
      send({
        type: "failed",
        message: answer.status === 400 ? "The draft has errors, so it cannot run yet:" : answer.message,
        lines: answer.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)),
      });
    setPicked([]);
  };

  const reply = async (message: { text: string } | { choiceIds: ReadonlyArray<string> }) => {
    if (!model.conversation) return;
    send({ type: "request" });
    const answer = await fetchJson<PreviewReply>(url, {
      csrf,
      body: { intent: "message", conversationId: model.conversation.id, visitorId: model.conversation.visitorId, clientMessageId: clientMessageId(), ...message },
    });
    if (answer.ok) send({ type: "replied", reply: answer.data });
    else send({ type: "failed", message: answer.status === 409 ? `${answer.message}. Restart the preview.` : answer.message });
    setPicked([]);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const value = text.trim();
    if (!value || model.busy) return;
    setText("");
    void reply({ text: value });
  };

  const awaiting = model.awaiting;
  const choices = awaiting?.choices ?? [];
  const canType = model.conversation !== null && model.status === "bot" && awaiting !== null;
  const variables = valueRows(model.state?.variables ?? {}, model.previous?.variables);
  const contact = valueRows(model.state?.contact ?? {}, model.previous?.contact);

  return (
    <aside className="pv-pane" aria-label="Preview">
      <header className="pv-header">
        <h2>Preview</h2>
        <div className="pv-header__actions">
          <button type="button" className="button button--small" onClick={() => void start()} disabled={model.busy || blockedReason !== null}>
            {model.conversation ? "Restart" : "Start preview"}
          </button>
          <button type="button" className="button button--secondary button--small" onClick={onClose} aria-label="Close the preview">
            ×
          </button>
        </div>
      </header>
      {blockedReason ? (
        <p className="notice pv-blocked" role="status">
          {blockedReason}
        </p>
      ) : null}
      {model.conversation === null ? (
        <div className="pv-setup">
          <p className="muted">Chat with the saved draft as a visitor would. Nothing here counts in reports.</p>
          <label>
            Page the visitor is on
            <input value={pageUrl} onChange={(e) => setPageUrl(e.currentTarget.value)} />
          </label>
          <label>
            Device
            <select value={device} onChange={(e) => setDevice(e.currentTarget.value as Device)}>
              <option value="desktop">Desktop</option>
              <option value="tablet">Tablet</option>
              <option value="mobile">Mobile</option>
            </select>
          </label>
        </div>
      ) : null}

      <ol className="pv-log" ref={log} aria-label="Preview conversation" aria-live="polite">
        {model.messages.map((m) => (
          <li key={m.id} className={`pv-msg pv-msg--${m.author}`}>
            <span className="fe-sr">{m.author === "visitor" ? "You: " : m.author === "bot" ? "Bot: " : "System: "}</span>
            {m.bubble?.type === "link" ? (
              <a href={m.bubble.url} target="_blank" rel="noreferrer noopener">
                {m.bubble.label}
              </a>
            ) : m.bubble?.type === "image" ? (
              <span>
                🖼 {m.bubble.alt ?? m.bubble.url}
              </span>
            ) : (
              m.text
            )}
          </li>
        ))}
      </ol>

      {model.conversation ? (
        <p className="pv-phase muted" role="status">
          {phaseLine(model.state, model.status)}
        </p>
      ) : null}

      {model.error ? (
        <div className="notice notice--error pv-error" role="alert">
          <p>{capitalise(model.error.message)}</p>
          {model.error.lines.length > 0 ? (
            <ul>
              {model.error.lines.slice(0, 10).map((line, i) => (
                <li key={i}>{line}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}

      {canType && choices.length > 0 ? (
        <div className="pv-choices" role="group" aria-label="Answers">
          {awaiting?.multiple ? (
            <>
              {choices.map((c) => (
                <label key={c.id} className="pv-choice pv-choice--check">
                  <input
                    type="checkbox"
                    checked={picked.includes(c.id)}
                    onChange={(e) => setPicked(e.currentTarget.checked ? [...picked, c.id] : picked.filter((x) => x !== c.id))}
                  />
                  {c.label}
                </label>
              ))}
              <button type="button" className="button button--small" disabled={picked.length === 0 || model.busy} onClick={() => void reply({ choiceIds: picked })}>
                Send choices
              </button>
            </>
          ) : (
            choices.map((c) => (
              <button key={c.id} type="button" className="pv-choice" disabled={model.busy} onClick={() => void reply({ choiceIds: [c.id] })}>
                {c.label}
              </button>
            ))
          )}
        </div>
      ) : null}

      {canType ? (
        <form className="pv-input" onSubmit={onSubmit}>
          <label htmlFor="pv-text" className="fe-sr">
            Your message
          </label>
          <input
            id="pv-text"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            placeholder={awaiting?.input === "email" ? "name@example.com" : awaiting?.input === "phone" ? "+49 30 1234567" : "Type an answer…"}
            autoComplete="off"
            disabled={model.busy}
          />
          <button type="submit" className="button button--small" disabled={model.busy || text.trim() === ""}>
            Send
          </button>
        </form>
      ) : null}

      {model.state ? (
        <section className="pv-values" aria-label="Collected so far">
          <h3>Variables</h3>
          <ValueTable rows={variables} empty="None yet." label="Variables" />
          <h3>Contact properties</h3>
          <ValueTable rows={contact} empty="None known yet." label="Contact properties" />
          {model.state.nodeId ? <p className="muted pv-node">Current step: <code>{model.state.nodeId}</code> (outlined on the canvas)</p> : null}
        </section>
      ) : null}
    </aside>
  );
}

function ValueTable({ rows, empty, label }: { rows: ReturnType<typeof valueRows>; empty: string; label: string }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="pv-table" aria-label={label}>
      <tbody>
        {rows.map((row) => (
          <tr key={row.name} className={row.changed ? "pv-row--changed" : undefined}>
            <th scope="row">{row.name}</th>
            <td>
              {row.value}
              {row.changed ? <span className="fe-sr"> (just changed)</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
