/**
 * A team's mailbox at a mail provider, standing in: hoodiecrow-imap (a scriptable IMAP
 * server) on a free loopback port with one user, whose INBOX a test fills, reads the flags of,
 * and rebuilds (a new UIDVALIDITY). It offers IDLE (and tells idling clients of each mail a test
 * delivers) unless started without; a test can count its open connections and drop them all. The real mailbox is outside this machine; this one speaks
 * the same protocol as Parley's IMAP client expects.
 */
import type { AddressInfo, Socket } from "node:net";
import hoodiecrow from "hoodiecrow-imap";

export interface FakeMailbox {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Delivers a mail into INBOX (unread unless `flags` say otherwise); its UID. */
  readonly deliver: (raw: string, flags?: string[]) => number;
  /** INBOX's messages as the server holds them. */
  readonly messages: () => ReadonlyArray<{ readonly uid: number; readonly flags: ReadonlyArray<string>; readonly raw: string }>;
  /** Sets a message's flags (e.g. a person marks it unread again at the provider). */
  readonly setFlags: (uid: number, flags: string[]) => void;
  /** The server rebuilt the mailbox: a new UIDVALIDITY, the same messages. */
  readonly setUidValidity: (value: number) => void;
  /** How many client connections are open now. */
  readonly connections: () => number;
  /** Cuts every open connection, as a provider's restart or a network fault does. */
  readonly dropConnections: () => void;
  /** Stops listening and cuts the connections still open. */
  readonly close: () => Promise<void>;
}

/** Starts one; `initial` are INBOX's messages before the first connection. */
export const startFakeMailbox = async (
  options: {
    readonly user?: string;
    readonly password?: string;
    readonly initial?: ReadonlyArray<{ raw: string; flags?: string[] }>;
    /** Speaks TLS from the first byte, with a self-signed certificate no client should trust. */
    readonly secure?: boolean;
    /** Announces and runs IDLE (RFC 2177); default true. */
    readonly idle?: boolean;
  } = {},
): Promise<FakeMailbox> => {
  const user = options.user ?? "support@acme.test";
  const password = options.password ?? "mailbox-password-1234";
  const server = hoodiecrow({
    plugins: [...(options.idle === false ? [] : ["IDLE"]), "UIDPLUS", "ENABLE", "CONDSTORE"],
    storage: { INBOX: { messages: (options.initial ?? []).map((m) => ({ raw: m.raw, flags: m.flags ?? [] })) } },
    users: { [user]: { password } },
    ...(options.secure ? { secureConnection: true } : {}),
  });
  const sockets = new Set<Socket>();
  server.server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const inbox = () => server.getMailbox("INBOX")!;
  return {
    port: (server.server.address() as AddressInfo).port,
    user,
    password,
    deliver: (raw, flags = []) => server.appendMessage("INBOX", flags, new Date(), raw).message.uid!,
    messages: () => inbox().messages.map((m) => ({ uid: m.uid!, flags: [...m.flags], raw: m.raw })),
    setFlags: (uid, flags) => {
      const message = inbox().messages.find((m) => m.uid === uid);
      if (!message) throw new Error(`no message with UID ${uid}`);
      message.flags = flags;
    },
    setUidValidity: (value) => {
      inbox().uidvalidity = value;
    },
    connections: () => sockets.size,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
};

/** An email channel's settings form (as the settings page posts it) that fetches from `box` for the team address `address`. */
export const imapChannelForm = (box: FakeMailbox, address: string): Record<string, string> => ({
  addresses: address,
  fromName: "Acme Support",
  fromAddress: address,
  signature: "",
  smtpHost: "smtp.acme.test",
  smtpPort: "587",
  smtpSecurity: "starttls",
  smtpUser: "relay-user",
  smtpPassword: "relay-password-9876",
  incoming: "imap",
  imapHost: "127.0.0.1",
  imapPort: String(box.port),
  imapSecurity: "none",
  imapUser: box.user,
  imapPassword: box.password,
  imapFolder: "",
});

/**
 * Resolves once exactly one client connection (a listening one) has been open, alone, for two
 * seconds on end — longer than a poll asked for takes to connect — so nothing but news of a new
 * mail can start a fetch; rejects after `timeoutMs`.
 */
export const quietButListening = async (box: FakeMailbox, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 20) {
    if (Date.now() > deadline) throw new Error(`the mailbox did not settle to one listening connection within ${timeoutMs} ms (${box.connections()} open)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    quiet = box.connections() === 1 ? quiet + 1 : 0;
  }
};
