/**
 * The shapes the widget reads from Parley's public chat API (contract v1, see docs/api.md) and
 * the seam between the loader (public/widget.js) and the lazily loaded chat UI chunk.
 * Types, and the one event name both bundles share.
 */

export type PopOpen =
  | { readonly mode: "never" }
  | { readonly mode: "after_seconds"; readonly seconds: number }
  | { readonly mode: "after_scroll"; readonly percent: number }
  | { readonly mode: "exit_intent" };

export interface HeadingAvatar {
  readonly name: string;
  readonly avatarUrl: string | null;
}

export interface Display {
  readonly welcomeMessage: string;
  readonly popOpen: PopOpen;
  readonly heading: { readonly name: string; readonly avatars: ReadonlyArray<HeadingAvatar> };
  readonly accentColor: string;
  readonly launcherPosition: "bottom_right" | "bottom_left";
}

export interface Branding {
  readonly name?: string;
  readonly logoUrl?: string;
  readonly showPoweredBy: boolean;
}

export type AwayBehaviour = "hide" | "away_message" | "collect_email";

/** The chatflow `/api/widget/config` chose for this page, visitor and moment. */
export interface Chatflow {
  readonly id: string;
  readonly kind: "bot" | "live_chat";
  readonly versionId: string;
  readonly language: string;
  readonly display: Display;
  readonly available: boolean;
  /**
   * How soon the team usually replies, as a bucket, when the flow shows it and the team is
   * available and has enough replies to say (decision 050); null otherwise. Absent from older servers.
   */
  readonly replyTime?: { readonly bucket: string } | null;
  readonly awayMessage: string;
  readonly awayBehaviour: AwayBehaviour;
  /** When the flow's hours open again (ISO), while it is outside them; null when not known. Absent from older servers. */
  readonly opensAt?: string | null;
  /** The name of the closed date (a holiday) the flow is away for today; null otherwise. Absent from older servers. */
  readonly closedFor?: string | null;
  /** While available on a special day: when its hours end today (ISO); null otherwise. Absent from older servers. */
  readonly closesAt?: string | null;
  /** The special day's name, beside `closesAt`; null when it has none. Absent from older servers. */
  readonly specialDay?: string | null;
  /**
   * Where visitors may write while the team is away: the inbox's team email, else its fallback
   * email; null when it has neither. Absent from servers older than the field.
   */
  readonly contactEmail?: string | null;
  /** A team email of the inbox can send: a closed conversation offers "Email me this conversation". Absent from older servers. */
  readonly transcripts?: boolean;
  readonly branding: Branding;
}

export interface Choice {
  readonly id: string;
  readonly label: string;
}

export type Bubble =
  | { readonly type: "image"; readonly url: string; readonly alt: string }
  | { readonly type: "link"; readonly url: string; readonly label: string };

export type Author = "visitor" | "bot" | "agent" | "system";

/** A file stored with a message; the visitor fetches it at /api/conversations/:id/attachments/:id with their token. */
export interface Attachment {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
}

export interface Message {
  readonly id: string;
  readonly author: Author;
  readonly text: string;
  readonly choices?: ReadonlyArray<Choice>;
  readonly bubble?: Bubble;
  readonly typingDelayMs?: number;
  readonly attachments?: ReadonlyArray<Attachment>;
  readonly createdAt: string;
}

/** What the bot waits for; null when nobody is asking (live chat, after a handoff). */
export interface Awaiting {
  readonly nodeId: string;
  readonly input: string;
  readonly choices?: ReadonlyArray<Choice>;
  readonly multiple?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export interface ConversationRef {
  readonly id: string;
  readonly status: string;
}

export type WidgetEvent = "ready" | "message" | "open" | "close";

/** Result of `Parley.identify`; `verified: false` means no contact was linked. */
export interface IdentifyResult {
  readonly verified: boolean;
  readonly reason?: string;
}

/** Result of `Parley.setAttributes`. */
export interface AttributesResult {
  readonly ok: boolean;
  readonly reason?: string;
}

/** What the loader lends the chat UI chunk: its shadow root, its launcher and its event bus. */
export interface LoaderHost {
  /** Origin widget.js was loaded from; every API call goes there. */
  readonly origin: string;
  readonly channel: string;
  /** The shadow root the launcher lives in; the panel is added beside it. */
  readonly root: ShadowRoot;
  readonly launcher: HTMLButtonElement;
  /** The chatflow the current page shows, or null (nothing visible). */
  readonly chatflow: () => Chatflow | null;
  /** Reflects the panel state on the launcher (aria-expanded, welcome bubble) and emits open/close. */
  readonly setExpanded: (open: boolean) => void;
  readonly emit: (event: WidgetEvent, payload?: unknown) => void;
}

/** What the chat UI chunk gives back to the loader; every JS API call lands here. */
export interface ChatController {
  /** `focus` false for pop-open, which must not pull the keyboard away from the page. */
  readonly open: (focus: boolean) => void;
  readonly close: () => void;
  readonly identify: (input: unknown) => Promise<IdentifyResult>;
  readonly setAttributes: (input: unknown) => Promise<AttributesResult>;
  readonly reset: () => void;
  /** The page changed (SPA navigation) and the config answered anew. */
  readonly configure: (chatflow: Chatflow | null) => void;
}

/** Event name the chunk dispatches on its own <script> element, detail = its factory. */
export const CHUNK_EVENT = "parley:chunk";
export type ChunkFactory = (host: LoaderHost) => ChatController;
