/**
 * Draft autosave without React: edits are saved after a quiet spell (~800 ms), one request at
 * a time, each on top of the revision the last save returned. A 409 (the draft moved on in
 * another tab or by someone else) stops saving for good and says so — the local edits are
 * never pushed over the other ones. Network failures retry with backoff. Timers are injected
 * so tests drive it with fake time.
 */

export type SaveResult =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly kind: "conflict" | "invalid" | "failed"; readonly message: string };

export type SaveStatus =
  | { readonly kind: "saved"; readonly revision: number }
  | { readonly kind: "dirty"; readonly revision: number }
  | { readonly kind: "saving"; readonly revision: number }
  | { readonly kind: "conflict"; readonly revision: number; readonly message: string }
  | { readonly kind: "error"; readonly revision: number; readonly message: string };

/** What a person reads when another tab or person saved first. */
export const CONFLICT_MESSAGE = "This flow was changed in another tab or by someone else — reload to see the latest.";

export interface DraftSaverOptions<D> {
  readonly revision: number;
  /** The document as the server has it at `revision`. */
  readonly saved: D;
  readonly send: (document: D, baseRevision: number) => Promise<SaveResult>;
  readonly onStatus: (status: SaveStatus) => void;
  readonly delayMs?: number;
  /** First retry delay after a failed request; doubles up to 30 s. */
  readonly retryMs?: number;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

export class DraftSaver<D> {
  private latest: D;
  private saved: D;
  private revision: number;
  private status: SaveStatus;
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;
  private readonly options: Required<Omit<DraftSaverOptions<D>, "revision" | "saved">>;

  constructor(options: DraftSaverOptions<D>) {
    this.latest = options.saved;
    this.saved = options.saved;
    this.revision = options.revision;
    this.status = { kind: "saved", revision: options.revision };
    this.options = {
      send: options.send,
      onStatus: options.onStatus,
      delayMs: options.delayMs ?? 800,
      retryMs: options.retryMs ?? 2_000,
      setTimer: options.setTimer ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimer: options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)),
    };
  }

  /** The status now. */
  current(): SaveStatus {
    return this.status;
  }

  /** True while there are edits the server does not have. */
  hasUnsavedChanges(): boolean {
    return this.latest !== this.saved;
  }

  /** Records the document after an edit; saves it once edits pause. */
  change(document: D): void {
    if (this.stopped || document === this.latest) return;
    this.latest = document;
    if (this.status.kind === "conflict") return;
    this.cancelTimer();
    if (document === this.saved && this.inFlight === null) {
      // Undone back to what the server has: nothing to send.
      this.setStatus({ kind: "saved", revision: this.revision });
      return;
    }
    if (this.inFlight === null && this.status.kind !== "dirty") this.setStatus({ kind: "dirty", revision: this.revision });
    this.schedule(this.options.delayMs);
  }

  /**
   * Saves now whatever is unsaved and waits for it; true when the server has the latest
   * document afterwards (false after a conflict or failure).
   */
  async flush(): Promise<boolean> {
    this.cancelTimer();
    for (;;) {
      if (this.status.kind === "conflict") return false;
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.latest === this.saved) return true;
      await this.run();
      if (this.status.kind === "error") return false;
    }
  }

  /** Stops timers and further saves (the page is going away). */
  dispose(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private setStatus(status: SaveStatus) {
    this.status = status;
    this.options.onStatus(status);
  }

  private cancelTimer() {
    if (this.timer !== null) {
      this.options.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private schedule(ms: number) {
    this.cancelTimer();
    this.timer = this.options.setTimer(() => {
      this.timer = null;
      void this.run();
    }, ms);
  }

  private run(): Promise<void> {
    if (this.stopped || this.status.kind === "conflict") return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    if (this.latest === this.saved) return Promise.resolve();
    const document = this.latest;
    this.setStatus({ kind: "saving", revision: this.revision });
    const request = this.options
      .send(document, this.revision)
      .catch((error: unknown): SaveResult => ({ ok: false, kind: "failed", message: error instanceof Error ? error.message : String(error) }))
      .then((result) => {
        this.inFlight = null;
        if (this.stopped) return;
        if (result.ok) {
          this.failures = 0;
          this.revision = result.revision;
          this.saved = document;
          if (this.latest !== this.saved) {
            this.setStatus({ kind: "dirty", revision: this.revision });
            this.schedule(this.options.delayMs);
          } else this.setStatus({ kind: "saved", revision: this.revision });
          return;
        }
        if (result.kind === "conflict") {
          this.cancelTimer();
          this.setStatus({ kind: "conflict", revision: this.revision, message: CONFLICT_MESSAGE });
          return;
        }
        if (result.kind === "invalid") {
          // The server refused this document; the next edit tries again.
          this.setStatus({ kind: "error", revision: this.revision, message: `Not saved: ${result.message}` });
          return;
        }
        this.failures++;
        const wait = Math.min(this.options.retryMs * 2 ** (this.failures - 1), 30_000);
        this.setStatus({ kind: "error", revision: this.revision, message: `Not saved (${result.message}); trying again in ${Math.round(wait / 1000)} s.` });
        this.schedule(wait);
      });
    this.inFlight = request;
    return request;
  }
}

/** The one line the editor's header shows for a status. Pure. */
export const statusLine = (status: SaveStatus): string => {
  switch (status.kind) {
    case "saved":
      return `Saved · revision ${status.revision}`;
    case "dirty":
      return "Unsaved changes…";
    case "saving":
      return "Saving…";
    case "conflict":
    case "error":
      return status.message;
  }
};
