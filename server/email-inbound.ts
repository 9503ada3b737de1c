/**
 * Parley's inbound SMTP server for email channels: the target a mail provider's forwarding
 * rule (or an MTA in front of Parley) delivers team mail to. It runs on `config.smtp`
 * (SMTP_PORT / SMTP_HOST) and not at all when that is null.
 *
 * - RCPT: only addresses some email channel receives (550 for any other: an open relay it
 *   is not).
 * - DATA: at most EMAIL_MAX_BYTES (552 above it); each accepted mail is stored by
 *   `EmailChannel.receive` BEFORE the 250 answer, so a mail the sender saw accepted is never
 *   lost; a mail it cannot store gets a 5xx (unreadable, no From) or 451 (a fault here: the
 *   sender tries again later) and nothing is stored.
 * - No AUTH by default: it is a forwarding target, not a submission server. With SMTP_AUTH_USER
 *   and SMTP_AUTH_PASSWORD a sender must sign in (PLAIN or LOGIN) before MAIL FROM (530
 *   otherwise, 535 for a wrong pair, compared in constant time; the third wrong one on a connection
 *   closes it with 421): for an MTA in front of Parley that relays with credentials. Over
 *   STARTTLS only, unless SMTP_ALLOW_INSECURE_AUTH=1.
 * - STARTTLS only with the operator's own certificate (SMTP_TLS_CERT / SMTP_TLS_KEY), never the
 *   smtp-server package's built-in one, whose private key is published: offering that would
 *   only pretend to encrypt. With SMTP_REQUIRE_TLS=1 a sender must STARTTLS before MAIL FROM
 *   (530 otherwise). Without a certificate, run it behind the firewall, open to the mail
 *   provider (or a local MTA that terminates TLS) only — see docs/channels-email.md.
 */
import { Effect, Either } from "effect";
import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import type { AppConfigShape } from "../runtime/services/config.js";
import { EMAIL_MAX_BYTES, EmailChannel } from "../runtime/services/email-channel.js";

export interface EmailInbound {
  /** The port it listens on, or null when it does not run (SMTP_PORT unset). */
  readonly port: number | null;
  readonly stop: () => Promise<void>;
}

/** An error smtp-server answers with `responseCode`. */
const smtpError = (code: number, message: string): Error & { responseCode: number } => Object.assign(new Error(message), { responseCode: code });

const envelopeSender = (session: SMTPServerSession): string | null => {
  const from = session.envelope.mailFrom;
  return from === false || from.address === "" ? null : from.address;
};

const readAll = (stream: SMTPServerDataStream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    stream.on("data", (chunk: Buffer) => {
      // Past the limit the rest is read and dropped: the answer is 552 anyway.
      if (kept <= EMAIL_MAX_BYTES) {
        chunks.push(chunk);
        kept += chunk.length;
      }
    });
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });

/** Wrong sign-ins one connection may try; the last of them is answered 421 and the connection closed. */
const MAX_FAILED_SIGN_INS = 3;

/** Whether `given` is `expected`, in time that does not depend on where they differ (nor on their lengths: both are hashed first). */
const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());

export const startEmailInbound = async (runtime: AppRuntime, config: AppConfigShape): Promise<EmailInbound> => {
  if (config.smtp === null) return { port: null, stop: async () => {} };
  const email = await runtime.runPromise(EmailChannel);
  const auth = config.smtp.auth ?? null;
  const failedSignIns = new WeakMap<SMTPServerSession, number>();

  const server = new SMTPServer({
    name: new URL(config.publicUrl).hostname,
    banner: "Parley inbound mail",
    // With a sign-in configured, smtp-server answers MAIL FROM before it with 530.
    authOptional: auth === null,
    ...(auth === null ? {} : { authMethods: ["PLAIN", "LOGIN"], allowInsecureAuth: auth.allowInsecure }),
    disabledCommands: [...(auth === null ? ["AUTH"] : []), ...(config.smtp.tls === null ? ["STARTTLS"] : [])],
    ...(config.smtp.tls === null ? {} : { cert: config.smtp.tls.cert, key: config.smtp.tls.key }),
    onAuth(login, session, callback) {
      // Both compared, always: which of the two was wrong is not told, nor timed.
      const userMatches = auth !== null && sameSecret(login.username ?? "", auth.user);
      const passwordMatches = auth !== null && sameSecret(login.password ?? "", auth.password);
      if (userMatches && passwordMatches) return callback(null, { user: auth!.user });
      const failed = (failedSignIns.get(session) ?? 0) + 1;
      failedSignIns.set(session, failed);
      console.warn(`Email: inbound SMTP refused a sign-in from ${session.remoteAddress} (wrong user name or password, ${failed} on this connection)`);
      // A guesser gets a few tries per connection, and maxClients bounds the connections.
      if (failed >= MAX_FAILED_SIGN_INS) callback(smtpError(421, "4.7.0 too many failed sign-ins, closing the connection"));
      else callback(smtpError(535, "5.7.8 Authentication credentials invalid"));
    },
    onMailFrom(_address, session, callback) {
      if (config.smtp!.requireTls && !session.secure) callback(smtpError(530, "5.7.0 Must issue a STARTTLS command first"));
      else callback();
    },
    size: EMAIL_MAX_BYTES,
    rejectOversized: true,
    logger: false,
    // Each session holds its mail in memory (up to EMAIL_MAX_BYTES, ~40 MB) until it is stored:
    // 10 at once bounds that near 400 MB. A forwarder that finds us busy retries later (421).
    maxClients: 10,
    socketTimeout: 60_000,
    closeTimeout: 10_000,
    onRcptTo(address, _session, callback) {
      runtime
        .runPromise(email.channelFor(address.address))
        .then((channelId) =>
          channelId === null
            ? callback(smtpError(550, `5.1.1 <${address.address}>: no Parley email channel receives this address`))
            : callback(),
        )
        .catch(() => callback(smtpError(451, "4.3.0 a temporary fault in Parley; try again later")));
    },
    onData(stream, session, callback) {
      readAll(stream)
        .then(async (raw) => {
          if (stream.sizeExceeded || raw.length > EMAIL_MAX_BYTES) {
            return callback(smtpError(552, `5.3.4 the message is larger than ${EMAIL_MAX_BYTES / (1024 * 1024)} MB`));
          }
          const result = await runtime.runPromise(
            Effect.either(
              email.receive({ raw, envelopeFrom: envelopeSender(session), recipients: session.envelope.rcptTo.map((r) => r.address) }),
            ),
          );
          if (Either.isLeft(result)) return callback(smtpError(result.left.code, result.left.message));
          for (const outcome of result.right) {
            if (outcome.kind === "dropped") console.log(`Email: accepted and dropped a mail for channel ${outcome.channelId}: ${outcome.reason}`);
          }
          callback(null, "2.0.0 stored in Parley");
        })
        .catch((error: unknown) => {
          console.error("Email: could not store an incoming mail:", error);
          callback(smtpError(451, "4.3.0 a temporary fault in Parley; try again later"));
        });
    },
  });
  server.on("error", (error) => console.error("Email: inbound SMTP error:", error.message));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new Error(`Email: could not listen for SMTP on ${config.smtp!.host}:${config.smtp!.port} (SMTP_HOST / SMTP_PORT): ${error.message}`));
    server.server.once("error", onError);
    server.listen(config.smtp!.port, config.smtp!.host, () => {
      server.server.off("error", onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  console.log(`Email: inbound SMTP listening on ${config.smtp.host}:${port}${auth === null ? "" : " (senders must sign in)"}`);
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
