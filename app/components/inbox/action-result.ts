/**
 * What the thread route's action answers, for every intent: the components read it from their
 * fetcher. Pure types; safe on the client.
 */
export type ThreadIntent =
  | "reply"
  | "comment"
  | "assign"
  | "close"
  | "reopen"
  | "mark-pending"
  | "mark-open"
  | "snooze"
  | "unsnooze"
  | "create-contact"
  | "link-contact"
  | "update-contact"
  | "set-owner"
  | "create-ticket"
  | "add-label"
  | "remove-label"
  | "set-labels"
  | "run-macro"
  | "email-transcript"
  | "typing";

export type ThreadActionResult =
  | {
      readonly ok: true;
      readonly intent: ThreadIntent;
      /** Something to tell the agent ("Created the contact …"). */
      readonly message?: string;
      /** The send this answers (reply / comment). */
      readonly clientMessageId?: string;
      readonly mentioned?: ReadonlyArray<string>;
      readonly ticket?: { readonly id: string; readonly subject: string };
      /** What a macro did: its steps done and those skipped, each with its reason. */
      readonly macro?: {
        readonly name: string;
        readonly applied: ReadonlyArray<string>;
        readonly skipped: ReadonlyArray<{ readonly step: string; readonly reason: string }>;
      };
    }
  | {
      readonly ok: false;
      readonly intent: string;
      readonly error: string;
      /** Messages by form field. */
      readonly fields: Readonly<Record<string, string>>;
      /** True when someone else changed the conversation first (409): the page re-reads it. */
      readonly conflict: boolean;
      /** The exact place of a refused file (`files[2]`, or `files` for all of them). */
      readonly path?: string;
      readonly clientMessageId?: string;
    };
