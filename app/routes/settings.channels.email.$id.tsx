import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CopyButton } from "../components/copy-button.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import { Time } from "../components/inbox/time.js";
import { ErrorNotice } from "../components/settings/notices.js";
import { access } from "../roles.js";
import { attempt, Channels, EMAIL_MAX_BYTES, EmailChannel, errorResponse, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

// No stylesheet of its own: a .css file beside a flat route module is taken for a second route
// with the same id, so the few layout rules here are inline and the rest is app.css.
const valueRow = { display: "flex", flexWrap: "wrap", alignItems: "center", gap: "0.6rem", margin: "0 0 0.75rem" } as const;
const valueCode = { wordBreak: "break-all", fontSize: "0.88rem" } as const;
const twoColumns = { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(14rem, 1fr))", gap: "0 1rem" } as const;

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.channel.name ?? "Email channel"} · Channels · Settings · Parley` }];

const BASE_FIELDS = ["addresses", "fromName", "fromAddress", "signature", "smtpHost", "smtpPort", "smtpSecurity", "smtpUser", "smtpPassword"] as const;
// The "Incoming mail" part: a form without it (a page from before IMAP) leaves it as stored.
const IMAP_FIELDS = ["incoming", "imapHost", "imapPort", "imapSecurity", "imapUser", "imapPassword", "imapFolder"] as const;
const FIELDS = [...BASE_FIELDS, ...IMAP_FIELDS] as const;
type FieldName = (typeof FIELDS)[number];
type Values = Record<FieldName, string>;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const { channel, settings } = await run(
    context,
    Effect.all({
      channel: Effect.flatMap(Channels, (c) => c.get(id)),
      settings: Effect.flatMap(EmailChannel, (e) => e.settings(id)),
    }),
  );
  return data(
    {
      channel: { id: channel.id, name: channel.name, inboxName: channel.inboxName },
      settings,
      maxMegabytes: EMAIL_MAX_BYTES / (1024 * 1024),
      now: Date.now(),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

type ActionResult =
  | { readonly saved: true }
  | { readonly saved: false; readonly errors: Partial<Record<FieldName | "form", string>>; readonly values: Omit<Partial<Values>, "smtpPassword" | "imapPassword"> }
  | { readonly checked: { readonly ok: boolean; readonly message: string } };

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const form = await request.formData();
  if (form.get("intent") === "check") {
    // Tries the saved mailbox (not what is typed: the password field is empty once saved).
    const checked = await run(context, Effect.flatMap(EmailChannel, (e) => e.checkMailbox(id)));
    return data<ActionResult>({ checked: checked.ok ? { ok: true, message: "Signed in and opened the folder." } : { ok: false, message: checked.message } });
  }
  // Every field is sent as a string; a missing one reads as empty, which the schema judges.
  // The incoming-mail fields are sent only when the form has them.
  const input: Partial<Values> = Object.fromEntries(BASE_FIELDS.map((name) => [name, typeof form.get(name) === "string" ? (form.get(name) as string) : ""]));
  if (typeof form.get("incoming") === "string") {
    for (const name of IMAP_FIELDS) input[name] = typeof form.get(name) === "string" ? (form.get(name) as string) : "";
  }
  const result = await attempt(context, Effect.flatMap(EmailChannel, (e) => e.saveSettings(id, input)));
  if (result.ok) return data<ActionResult>({ saved: true });
  if (result.cause._tag !== "InvalidInput") throw errorResponse(result.cause);
  const errors: Partial<Record<FieldName | "form", string>> = {};
  for (const issue of result.cause.issues) {
    const field = (FIELDS as ReadonlyArray<string>).includes(issue.path) ? (issue.path as FieldName) : "form";
    errors[field] ??= issue.message;
  }
  // The passwords typed into the form are never sent back into the page.
  const { smtpPassword: _password, imapPassword: _imapPassword, ...values } = input;
  return data<ActionResult>({ saved: false, errors, values }, { status: result.status });
}

type Listening = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["settings"]["imapStatus"]["listening"]>;

/** Whether Parley listens to the mailbox (new mail within seconds) or polls it every minute, and why. */
function ListeningStatus({ listening, now }: { listening: Listening | null; now: number }) {
  if (listening === null) return null;
  switch (listening.state) {
    case "listening":
      return (
        <p className="notice notice--success" role="status">
          Listening for new mail (IMAP IDLE) since <Time at={listening.since} now={now} />: new mail arrives within seconds. A full check
          still runs every 5 minutes.
        </p>
      );
    case "connecting":
      return (
        <p className="muted" role="status">
          Connecting to listen for new mail (IMAP IDLE)…
        </p>
      );
    case "unsupported":
      return (
        <p className="notice notice--warning" role="status">
          Polling every minute: this server does not offer IMAP IDLE, so new mail can take up to a minute to arrive.
        </p>
      );
    case "reconnecting":
      return (
        <p className="notice notice--warning" role="status">
          Not listening since <Time at={listening.at} now={now} /> ({listening.error}); connecting again in{" "}
          {Math.max(1, Math.round((listening.retryAt - now) / 1000))} s. Polling every minute meanwhile.
        </p>
      );
    case "over-limit":
      return (
        <p className="notice notice--warning" role="status">
          Polling every minute: Parley listens to at most {listening.limit} mailboxes at once, and older channels use them.
        </p>
      );
  }
}

export default function EmailChannelSettings() {
  const { channel, settings, maxMegabytes, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const failed = result && "saved" in result && !result.saved ? result : undefined;
  const errors: Partial<Record<FieldName | "form", string>> = failed?.errors ?? {};
  const values = failed?.values;
  const checked = result && "checked" in result ? result.checked : null;
  const checking = busy && navigation.formData?.get("intent") === "check";
  const status = settings.imapStatus;
  const fetching = settings.incoming === "imap" && settings.imap !== null;
  const path = `/settings/channels/email/${encodeURIComponent(channel.id)}`;
  const inbound = settings.inbound;
  const server = inbound ? `${inbound.host}:${inbound.port}` : null;

  return (
    <>
      <header className="page-header">
        <p className="muted">
          <Link to="/settings/channels">Channels</Link> / Email
        </p>
        <h1>{channel.name}</h1>
        <p className="lead">
          A shared team address. Each email starts a conversation in the <strong>{channel.inboxName}</strong> inbox (a reply
          continues its thread), and the team’s answers go back by email.
        </p>
      </header>

      <section className="card" aria-labelledby="inbound-title">
        <h2 id="inbound-title">How mail reaches Parley</h2>
        {fetching ? (
          <>
            <p className="muted">
              Parley fetches mail from <strong>{settings.imap!.user}</strong> at <code style={valueCode}>{settings.imap!.host}</code>, folder{" "}
              <strong>{settings.imap!.folder}</strong>, as soon as the server reports it (IMAP IDLE) or else every minute, and marks what it
              takes as read there (nothing is deleted).
            </p>
            <ListeningStatus listening={status.listening} now={now} />
            {status.error ? (
              <p className="notice notice--error" role="alert">
                Fetching failed <Time at={status.error.at} now={now} />: {status.error.message}
              </p>
            ) : status.checkedAt !== null ? (
              <p className="notice notice--success" role="status">
                Last checked <Time at={status.checkedAt} now={now} />
                {status.newCount !== null ? ` · ${status.newCount} new` : ""}
              </p>
            ) : (
              <p className="muted" role="status">
                Not checked yet: the first check runs within a minute.
              </p>
            )}
            {status.note ? (
              <p className="notice notice--warning">
                <Time at={status.note.at} now={now} />: {status.note.message}
              </p>
            ) : null}
          </>
        ) : inbound === null ? (
          <p className="notice notice--warning" role="status">
            Inbound mail is off: Parley’s SMTP server does not run until <code>SMTP_PORT</code> is set (and Parley restarted). Replies
            can still be sent.
          </p>
        ) : settings.addresses.length === 0 ? (
          <p className="muted">Add the team address below; this page then shows where to forward its mail.</p>
        ) : (
          <>
            <p className="muted">
              At your mail provider, add a forwarding rule for each address (keep a copy there if you like). Mail over {maxMegabytes} MB
              is refused.{" "}
              {inbound.tls === "required"
                ? "The server requires STARTTLS: a sender that does not encrypt is refused."
                : inbound.tls === "offered"
                  ? "The server offers STARTTLS with your certificate."
                  : "The server offers no encryption (no SMTP_TLS_CERT / SMTP_TLS_KEY): open its port to your provider only."}
            </p>
            <ul>
              {settings.addresses.map((address) => (
                <li key={address} style={valueRow}>
                  <span>
                    Forward mail for <strong>{address}</strong> to Parley’s SMTP server at <code style={valueCode}>{server}</code>
                  </span>
                  <CopyButton text={server ?? ""} label="Copy server" />
                </li>
              ))}
            </ul>
          </>
        )}
        <p className="muted">
          Blocked senders and domains of the {channel.inboxName} inbox never open a conversation:{" "}
          <Link to="/settings/email-filters">edit the email filters</Link>. Auto-replies and bounces are dropped too.
        </p>
      </section>

      <section className="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Address, sender and relay</h2>
        {result && "saved" in result && result.saved && !busy ? (
          <p className="notice notice--success" role="status">
            Saved.
          </p>
        ) : null}
        <ErrorNotice message={errors.form} />
        <Form method="post" action={path} className="form" noValidate key={JSON.stringify(settings)}>
          <CsrfInput />
          <Field id="email-addresses" label="Team addresses" error={errors.addresses} hint="The addresses this channel receives, one a line, e.g. support@example.com. If your provider forwards to an address (Gmail does), list that address too.">
            {(props) => (
              <textarea {...props} name="addresses" rows={3} spellCheck={false} defaultValue={values?.addresses ?? settings.addresses.join("\n")} />
            )}
          </Field>
          <div style={twoColumns}>
            <Field id="email-from-name" label="Send-as name" error={errors.fromName} hint="Replies show as “Agent name (this name)”; the bot’s as this name alone.">
              {(props) => <input {...props} name="fromName" autoComplete="off" defaultValue={values?.fromName ?? settings.fromName} />}
            </Field>
            <Field id="email-from-address" label="Send-as address" error={errors.fromAddress} hint="Replies come from this address; customers answer to it.">
              {(props) => (
                <input {...props} name="fromAddress" type="email" autoComplete="off" spellCheck={false} defaultValue={values?.fromAddress ?? settings.fromAddress} />
              )}
            </Field>
          </div>
          <Field id="email-signature" label="Signature" error={errors.signature} hint="Plain text, added under every reply after a “-- ” line.">
            {(props) => <textarea {...props} name="signature" rows={4} defaultValue={values?.signature ?? settings.signature} />}
          </Field>

          <h3>Incoming mail</h3>
          <fieldset className="choices" aria-describedby={errors.incoming ? "email-incoming-error" : undefined}>
            <legend>How mail reaches this channel</legend>
            <label className="choice">
              <input type="radio" name="incoming" value="smtp" defaultChecked={(values?.incoming ?? settings.incoming) === "smtp"} />
              <span>
                <strong>Forwarded to Parley’s SMTP server</strong> <span className="muted">Your provider forwards the team address here.</span>
              </span>
            </label>
            <label className="choice">
              <input type="radio" name="incoming" value="imap" defaultChecked={(values?.incoming ?? settings.incoming) === "imap"} />
              <span>
                <strong>Fetched from a mailbox (IMAP)</strong>{" "}
                <span className="muted">Parley checks the team’s mailbox every minute and marks what it takes as read; nothing is deleted.</span>
              </span>
            </label>
            {errors.incoming ? <FieldError id="email-incoming-error" message={errors.incoming} /> : null}
          </fieldset>
          <p className="muted">
            For IMAP, the mailbox the team address delivers to at your provider. At first only its unread mail is taken; mail over{" "}
            {maxMegabytes} MB is skipped with a note here.
          </p>
          <div style={twoColumns}>
            <Field id="email-imap-host" label="IMAP server" error={errors.imapHost} hint="e.g. imap.gmail.com or outlook.office365.com">
              {(props) => <input {...props} name="imapHost" autoComplete="off" spellCheck={false} defaultValue={values?.imapHost ?? settings.imap?.host ?? ""} />}
            </Field>
            <Field id="email-imap-port" label="IMAP port" error={errors.imapPort} hint="993 for TLS; empty for the usual one.">
              {(props) => (
                <input {...props} name="imapPort" inputMode="numeric" autoComplete="off" defaultValue={values?.imapPort ?? (settings.imap ? String(settings.imap.port) : "993")} />
              )}
            </Field>
            <Field id="email-imap-security" label="IMAP security" error={errors.imapSecurity}>
              {(props) => (
                <select {...props} name="imapSecurity" defaultValue={values?.imapSecurity ?? settings.imap?.security ?? "tls"}>
                  <option value="tls">TLS</option>
                  <option value="starttls">STARTTLS</option>
                  <option value="none">None (only inside your own network)</option>
                </select>
              )}
            </Field>
          </div>
          <div style={twoColumns}>
            <Field id="email-imap-user" label="Mailbox user" error={errors.imapUser} hint="Usually the mailbox’s address.">
              {(props) => <input {...props} name="imapUser" autoComplete="off" spellCheck={false} defaultValue={values?.imapUser ?? settings.imap?.user ?? ""} />}
            </Field>
            <Field
              id="email-imap-password"
              label="Mailbox password"
              error={errors.imapPassword}
              hint={
                settings.imapPassword.configured
                  ? `Stored (ends in ${settings.imapPassword.hint}); leave empty to keep it.`
                  : "An app password at Google and Microsoft. Stored for fetching; never shown again."
              }
            >
              {(props) => (
                <input
                  {...props}
                  name="imapPassword"
                  type="password"
                  autoComplete="new-password"
                  spellCheck={false}
                  placeholder={settings.imapPassword.configured ? `•••••••••••• ${settings.imapPassword.hint ?? ""}` : ""}
                />
              )}
            </Field>
            <Field id="email-imap-folder" label="Folder" error={errors.imapFolder} hint="Empty for INBOX.">
              {(props) => <input {...props} name="imapFolder" autoComplete="off" spellCheck={false} defaultValue={values?.imapFolder ?? settings.imap?.folder ?? "INBOX"} />}
            </Field>
          </div>

          <h3>Outgoing mail relay</h3>
          <p className="muted">The SMTP server replies are sent through (your provider’s, or a service like Postmark or SES). Without it, replies fail with a note in the conversation.</p>
          <div style={twoColumns}>
            <Field id="email-smtp-host" label="Host" error={errors.smtpHost} hint="e.g. smtp.example.com">
              {(props) => <input {...props} name="smtpHost" autoComplete="off" spellCheck={false} defaultValue={values?.smtpHost ?? settings.relay?.host ?? ""} />}
            </Field>
            <Field id="email-smtp-port" label="Port" error={errors.smtpPort} hint="587 for STARTTLS, 465 for TLS.">
              {(props) => (
                <input
                  {...props}
                  name="smtpPort"
                  inputMode="numeric"
                  autoComplete="off"
                  defaultValue={values?.smtpPort ?? (settings.relay ? String(settings.relay.port) : "")}
                />
              )}
            </Field>
            <Field id="email-smtp-security" label="Security" error={errors.smtpSecurity}>
              {(props) => (
                <select {...props} name="smtpSecurity" defaultValue={values?.smtpSecurity ?? settings.relay?.security ?? "starttls"}>
                  <option value="starttls">STARTTLS</option>
                  <option value="tls">TLS</option>
                  <option value="none">None (only inside your own network)</option>
                </select>
              )}
            </Field>
          </div>
          <div style={twoColumns}>
            <Field id="email-smtp-user" label="User" error={errors.smtpUser} hint="Leave empty when the relay needs no login.">
              {(props) => <input {...props} name="smtpUser" autoComplete="off" spellCheck={false} defaultValue={values?.smtpUser ?? settings.relay?.user ?? ""} />}
            </Field>
            <Field
              id="email-smtp-password"
              label="Password"
              error={errors.smtpPassword}
              hint={settings.password.configured ? `Stored (ends in ${settings.password.hint}); leave empty to keep it.` : "Stored for sending; never shown again."}
            >
              {(props) => (
                <input
                  {...props}
                  name="smtpPassword"
                  type="password"
                  autoComplete="new-password"
                  spellCheck={false}
                  placeholder={settings.password.configured ? `•••••••••••• ${settings.password.hint ?? ""}` : ""}
                />
              )}
            </Field>
          </div>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busy}>
              {busy && !checking ? "Saving…" : "Save"}
            </button>
          </div>
        </Form>
        {settings.imap !== null ? (
          <Form method="post" action={path} className="form__actions">
            <CsrfInput />
            <input type="hidden" name="intent" value="check" />
            <button type="submit" className="button button--secondary" disabled={busy}>
              {checking ? "Checking…" : "Check the saved mailbox"}
            </button>
            {checked && !busy ? (
              <p className={checked.ok ? "notice notice--success" : "notice notice--error"} role={checked.ok ? "status" : "alert"}>
                {checked.ok ? checked.message : `Could not read the mailbox: ${checked.message}`}
              </p>
            ) : null}
          </Form>
        ) : null}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
