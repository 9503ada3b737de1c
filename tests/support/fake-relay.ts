/**
 * A team's outgoing mail relay, standing in: a local SMTP server (smtp-server) that accepts
 * every mail without login and keeps what it received, parsed. The real relay is outside this
 * machine; this one speaks the same protocol on loopback.
 */
import { simpleParser, type ParsedMail } from "mailparser";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface Relayed {
  /** The envelope's recipients. */
  readonly to: string[];
  readonly mail: ParsedMail;
}

export interface FakeRelay {
  readonly port: number;
  /** Everything received so far, oldest first (tests may empty it). */
  readonly relayed: Relayed[];
  readonly close: () => Promise<void>;
}

/** Starts one on a free loopback port; `maxBytes` is the largest mail it takes (its SIZE). */
export const startFakeRelay = async (options: { readonly maxBytes?: number } = {}): Promise<FakeRelay> => {
  const relayed: Relayed[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    ...(options.maxBytes !== undefined ? { size: options.maxBytes } : {}),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        relayed.push({ to: session.envelope.rcptTo.map((r) => r.address), mail: await simpleParser(Buffer.concat(chunks)) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    relayed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/**
 * An email channel's settings form (EmailChannel.saveSettings) for the team address `address`,
 * sending as "Acme Help" with the signature "Acme GmbH" through a relay on loopback `port`
 * without login or TLS; `port` null leaves the relay out (the channel cannot send).
 */
export const relaySettings = (address: string, port: number | null) => ({
  addresses: address,
  fromName: "Acme Help",
  fromAddress: address,
  signature: "Acme GmbH",
  smtpHost: port === null ? "" : "127.0.0.1",
  smtpPort: port === null ? "" : String(port),
  smtpSecurity: "none",
  smtpUser: "",
  smtpPassword: "",
});

export interface HoldingRelay {
  readonly port: number;
  /** Each mail's envelope recipients, recorded when its data is in (before it is answered). */
  readonly received: string[][];
  /** Answers each mail after `ms` from now on; null: never (until `answerHeld`). */
  readonly hold: (ms: number | null) => void;
  /** Answers (refuses) the mails held so far. */
  readonly answerHeld: () => void;
  readonly close: () => Promise<void>;
}

/** A relay on a free loopback port that takes its time answering, for shutdown's tests (decision 042). */
export const startHoldingRelay = async (): Promise<HoldingRelay> => {
  let holdMs: number | null = 0;
  const received: string[][] = [];
  const held = new Set<() => void>();
  const answerHeld = () => {
    for (const answer of held) answer();
    held.clear();
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      stream.resume();
      stream.on("end", () => {
        received.push(session.envelope.rcptTo.map((r) => r.address));
        if (holdMs === null) held.add(() => callback(new Error("closing")));
        else setTimeout(() => callback(), holdMs);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    hold: (ms) => {
      holdMs = ms;
    },
    answerHeld,
    close: () => {
      answerHeld();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
