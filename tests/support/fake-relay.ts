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
