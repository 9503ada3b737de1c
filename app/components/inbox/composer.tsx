import { useFetcher, useRevalidator } from "@remix-run/react";
import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent, type KeyboardEvent } from "react";
import { CsrfInput } from "../csrf-input.js";
import { ArticlePicker } from "../knowledge/article-picker.js";
import { capitalise } from "../messages.js";
import type { ThreadActionResult } from "./action-result.js";
import { enterAction, matchSavedReplies, newClientMessageId, replyFileLimits, replyFilesWhere, shortcutQuery, type FileLimits } from "./composer-logic.js";
import { humanSize } from "./thread-messages.js";

export interface SavedReplyChoice {
  readonly id: string;
  readonly shortcut: string;
  readonly title: string;
  readonly text: string;
}

const TYPING_PING_MS = 3000;
const TYPING_IDLE_MS = 4000;

/** The limits of a reply's files, as the server holds them (attachmentReplyLimitsFor the reply's way out, from the loader). */
export type ReplyFileLimits = FileLimits;

/**
 * Why the chosen files cannot go, with the index of the file to mark (null for the list as a
 * whole), or null when they fit — the server's rule, said before the upload instead of after. Pure.
 */
export const chosenFilesProblem = (
  files: ReadonlyArray<{ readonly name: string; readonly size: number }>,
  limits: ReplyFileLimits,
): { readonly index: number | null; readonly message: string } | null => {
  if (files.length > limits.maxFiles) return { index: null, message: `At most ${limits.maxFiles} files can go with one reply: remove ${files.length - limits.maxFiles}.` };
  const over = files.findIndex((f) => f.size > limits.maxFileBytes);
  if (over >= 0) return { index: over, message: `“${files[over]!.name}” is over ${humanSize(limits.maxFileBytes)}: remove it, or share it another way.` };
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > limits.maxMailBytes) return { index: null, message: `The files come to ${humanSize(total)}; one reply carries at most ${humanSize(limits.maxMailBytes)}.` };
  return null;
};

/** The refused file's index in a server answer's path (`files[2]` → 2), or null. Pure. */
const refusedIndex = (path: string | undefined): number | null => {
  const m = /^files\[(\d+)\]$/.exec(path ?? "");
  return m ? Number(m[1]) : null;
};

/** The reply box's prompt: where the reply will go, so nobody expects an email reply to show in a chat. */
const replyPlaceholder = (via: "chat" | "email" | "messenger", to: string | null): string => {
  const where = via === "email" ? `Reply by email${to ? ` to ${to}` : ""}` : via === "messenger" ? "Reply on Messenger" : "Reply to the visitor";
  return `${where}… ( / for saved replies)`;
};

/**
 * The composer: Reply (reaches the visitor) or Comment (internal, styled apart, never shown to
 * the visitor; @name notifies a teammate). Each send carries a client message id, kept until
 * the server confirmed that send, and the button is disabled while it is pending — a double
 * click stores one message. "/" plus a shortcut offers saved replies (↑/↓, Enter or Tab to
 * insert, Escape to dismiss). Enter sends, Shift+Enter starts a new line. A reply that goes by
 * email, on Messenger or in the chat may carry files ("Attach files"): checked against that
 * way's limits as they are picked, listed with their sizes and a Remove button each, and posted
 * as multipart only when there are some; comments never offer them (they go nowhere).
 */
export function Composer({
  conversationId,
  closed,
  savedReplies,
  replyVia = "chat",
  replyTo = null,
  fileLimits = null,
}: {
  conversationId: string;
  closed: boolean;
  savedReplies: ReadonlyArray<SavedReplyChoice>;
  /** Where a reply goes (ConversationSummary.replyVia). */
  replyVia?: "chat" | "email" | "messenger";
  /** The address an email reply goes to, when known. */
  replyTo?: string | null;
  /** The limits of a reply's files (email or Messenger); without them no files are offered. */
  fileLimits?: ReplyFileLimits | null;
}) {
  const fetcher = useFetcher<ThreadActionResult>({ key: `composer:${conversationId}` });
  const typingFetcher = useFetcher({ key: `typing:${conversationId}` });
  const revalidator = useRevalidator();
  const [mode, setMode] = useState<"reply" | "comment">(closed ? "comment" : "reply");
  const [text, setText] = useState("");
  const [highlight, setHighlight] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const [files, setFiles] = useState<ReadonlyArray<File>>([]);
  const pendingId = useRef<string | null>(null);
  const sentText = useRef("");
  const sentFiles = useRef<ReadonlyArray<File>>([]);
  const lastPing = useRef(0);
  const idleTimer = useRef<ReturnType<typeof setTimeout>>();
  const formRef = useRef<HTMLFormElement>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const baseId = useId();
  const busy = fetcher.state !== "idle";
  const effectiveMode = closed ? "comment" : mode;
  const suggestions = dismissed ? [] : matchSavedReplies(text, savedReplies);
  const query = dismissed ? null : shortcutQuery(text);
  const unmatched = query !== null && suggestions.length === 0;
  const result = fetcher.data;
  // A reply carries files wherever it goes (the widget shows them as downloads); a comment goes nowhere.
  const limits = replyFileLimits(replyVia, fileLimits);
  const attachable = limits !== null && effectiveMode === "reply";
  const attached = attachable ? files : [];
  const filesProblem = limits !== null && attached.length > 0 ? chosenFilesProblem(attached, limits) : null;

  // A new conversation starts with an empty composer in reply mode.
  useEffect(() => {
    setText("");
    setFiles([]);
    setMode(closed ? "comment" : "reply");
    pendingId.current = null;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conversationId]);

  useEffect(() => {
    if (fetcher.state !== "idle" || !result || result.clientMessageId === undefined) return;
    if (result.clientMessageId !== pendingId.current) return;
    if (result.ok) {
      pendingId.current = null;
      // Only clear what was sent: the agent may have started the next message meanwhile.
      setText((current) => (current === sentText.current ? "" : current));
      setFiles((current) => (current === sentFiles.current ? [] : current));
    } else if (result.conflict) {
      revalidator.revalidate();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, result]);

  const ping = (typing: boolean) => {
    const form = new FormData();
    form.set("intent", "typing");
    form.set("typing", String(typing));
    form.set("mode", effectiveMode);
    const csrf = formRef.current?.querySelector<HTMLInputElement>('input[name="csrf"]')?.value ?? "";
    form.set("csrf", csrf);
    typingFetcher.submit(form, { method: "post", action: `/inbox/${encodeURIComponent(conversationId)}` });
  };

  const onTyped = (value: string) => {
    setText(value);
    setDismissed(false);
    setHighlight(0);
    if (value !== sentText.current) pendingId.current = null;
    const now = Date.now();
    if (value.trim() !== "" && now - lastPing.current > TYPING_PING_MS) {
      lastPing.current = now;
      ping(true);
    }
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(() => {
      if (lastPing.current !== 0) {
        lastPing.current = 0;
        ping(false);
      }
    }, TYPING_IDLE_MS);
  };

  const insert = (choice: SavedReplyChoice) => {
    setText(choice.text);
    setDismissed(true);
    textRef.current?.focus();
  };

  /** Adds the picked files to the list (picking again adds more) and empties the input, so the same file can be picked again. */
  const onPicked = (event: ChangeEvent<HTMLInputElement>) => {
    const picked = Array.from(event.target.files ?? []);
    event.target.value = "";
    if (picked.length === 0) return;
    // Other files are another message: a retry under the old id would answer with the first one.
    pendingId.current = null;
    setFiles((current) => [...current, ...picked]);
  };

  const removeFile = (index: number) => {
    pendingId.current = null;
    setFiles((current) => current.filter((_, i) => i !== index));
    textRef.current?.focus();
  };

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    if (busy || text.trim() === "" || filesProblem !== null) return;
    pendingId.current ??= newClientMessageId();
    sentText.current = text;
    sentFiles.current = files;
    clearTimeout(idleTimer.current);
    lastPing.current = 0;
    const form = new FormData(formRef.current ?? undefined);
    form.set("intent", effectiveMode);
    form.set("text", text);
    form.set("clientMessageId", pendingId.current);
    // The list is the truth, not the input (emptied after each pick).
    form.delete("files");
    const target = { method: "post", action: `/inbox/${encodeURIComponent(conversationId)}` } as const;
    if (attached.length > 0) {
      for (const file of attached) form.append("files", file, file.name);
      fetcher.submit(form, { ...target, encType: "multipart/form-data" });
    } else {
      fetcher.submit(form, target);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (unmatched && event.key === "Escape") {
      event.preventDefault();
      setDismissed(true);
      return;
    }
    if (suggestions.length > 0) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        setHighlight((h) => (h + step + suggestions.length) % suggestions.length);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        setDismissed(true);
        return;
      }
      if (event.key === "Tab" && !event.shiftKey) {
        event.preventDefault();
        insert(suggestions[Math.min(highlight, suggestions.length - 1)]!);
        return;
      }
    }
    if (event.key !== "Enter") return;
    const action = enterAction({ shiftKey: event.shiftKey, isComposing: event.nativeEvent.isComposing }, suggestions.length, unmatched);
    if (action === "newline") return;
    event.preventDefault();
    if (action === "ignore") return;
    if (action === "pick") insert(suggestions[Math.min(highlight, suggestions.length - 1)]!);
    else send();
  };

  const listId = `${baseId}-saved`;
  const textId = `${baseId}-text`;
  const hintId = `${baseId}-hint`;
  const error = result && !result.ok && (result.intent === "reply" || result.intent === "comment") ? result : null;
  // A refusal of the files shows at the list, naming the file; only while the list is the one that was sent.
  const filesError = error && error.path?.startsWith("files") && files === sentFiles.current ? error : null;
  const markedFile = filesError ? refusedIndex(filesError.path) : (filesProblem?.index ?? null);
  const filesId = `${baseId}-files`;
  const filesHintId = `${baseId}-files-hint`;

  return (
    <fetcher.Form
      ref={formRef}
      method="post"
      // Without JavaScript the browser posts the file input itself; with it, `send` posts multipart only when files are listed.
      encType={attachable ? "multipart/form-data" : undefined}
      action={`/inbox/${encodeURIComponent(conversationId)}`}
      className={`composer composer--${effectiveMode}`}
      onSubmit={send}
      aria-label="Write a message"
    >
      <CsrfInput />
      <input type="hidden" name="intent" value={effectiveMode} />
      <fieldset className="composer__modes">
        <legend className="visually-hidden">Message type</legend>
        <label className={effectiveMode === "reply" ? "composer__mode composer__mode--on" : "composer__mode"}>
          <input type="radio" name="mode" value="reply" checked={effectiveMode === "reply"} disabled={closed} onChange={() => setMode("reply")} />
          Reply
        </label>
        <label className={effectiveMode === "comment" ? "composer__mode composer__mode--on" : "composer__mode"}>
          <input type="radio" name="mode" value="comment" checked={effectiveMode === "comment"} onChange={() => setMode("comment")} />
          Comment
        </label>
        {closed ? <span className="muted composer__closed">Closed — reopen it to reply to the visitor.</span> : null}
      </fieldset>
      <label htmlFor={textId} className="visually-hidden">
        {effectiveMode === "reply" ? "Reply to the visitor" : "Internal comment (never shown to the visitor)"}
      </label>
      <textarea
        ref={textRef}
        id={textId}
        name="text"
        rows={3}
        value={text}
        maxLength={4000}
        placeholder={effectiveMode === "reply" ? replyPlaceholder(replyVia, replyTo) : "Internal comment — never shown to the visitor. @name notifies a teammate."}
        aria-describedby={hintId}
        aria-controls={suggestions.length > 0 ? listId : undefined}
        aria-activedescendant={suggestions.length > 0 ? `${listId}-${Math.min(highlight, suggestions.length - 1)}` : undefined}
        onChange={(event) => onTyped(event.target.value)}
        onKeyDown={onKeyDown}
      />
      {suggestions.length > 0 ? (
        <ul id={listId} role="listbox" aria-label="Saved replies" className="composer__suggestions">
          {suggestions.map((s, i) => (
            <li
              key={s.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === highlight}
              className={i === highlight ? "composer__suggestion composer__suggestion--on" : "composer__suggestion"}
              onMouseDown={(event) => {
                event.preventDefault();
                insert(s);
              }}
            >
              <strong>/{s.shortcut}</strong> {s.title}
            </li>
          ))}
        </ul>
      ) : unmatched ? (
        <p role="status" className="composer__suggestions composer__suggestions--none">
          {savedReplies.length === 0
            ? "No saved replies yet: an admin adds them in Settings → Saved replies."
            : `No saved reply matches “/${query}”.`}{" "}
          Press Escape to write it as text.
        </p>
      ) : null}
      {attachable ? (
        <div className="composer__files">
          <input
            id={filesId}
            className="composer__file-input visually-hidden"
            type="file"
            name="files"
            multiple
            aria-describedby={filesHintId}
            onChange={onPicked}
          />
          <label htmlFor={filesId} className="button button--secondary button--small composer__attach">
            Attach files
          </label>
          <span id={filesHintId} className="composer__hint muted">
            {replyFilesWhere(replyVia)} · up to {limits.maxFiles} files, {humanSize(limits.maxFileBytes)} each, {humanSize(limits.maxMailBytes)}{" "}
            together
          </span>
          {attached.length > 0 ? (
            <ul className="composer__file-list" aria-label="Files to send">
              {attached.map((file, i) => (
                <li key={`${i}:${file.name}:${file.size}`} className={i === markedFile ? "composer__file composer__file--refused" : "composer__file"}>
                  <span className="composer__file-name">{file.name}</span> <span className="muted">({humanSize(file.size)})</span>
                  <button type="button" className="button button--secondary button--small" aria-label={`Remove ${file.name}`} onClick={() => removeFile(i)}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
          {filesProblem || filesError ? (
            <p className="composer__error" role="alert">
              {capitalise(filesProblem ? filesProblem.message : (filesError!.fields.files ?? filesError!.error))}
            </p>
          ) : null}
        </div>
      ) : null}
      <div className="composer__foot">
        {effectiveMode === "reply" ? (
          <ArticlePicker
            disabled={busy}
            onPick={(line) => {
              setText((current) => (current.trim() === "" ? line : `${current.trimEnd()}\n${line}`));
              textRef.current?.focus();
            }}
          />
        ) : null}
        <p id={hintId} className="composer__hint muted">
          {effectiveMode === "comment" ? "Only your team sees comments." : "Enter sends · Shift+Enter new line · / saved replies"}
        </p>
        {error && !filesError ? (
          <p className="composer__error" role="alert">
            {capitalise(error.fields.text ?? error.error)}
          </p>
        ) : null}
        <button type="submit" className="button" disabled={busy || text.trim() === "" || filesProblem !== null}>
          {busy ? "Sending…" : effectiveMode === "reply" ? "Send reply" : "Add comment"}
        </button>
      </div>
    </fetcher.Form>
  );
}
