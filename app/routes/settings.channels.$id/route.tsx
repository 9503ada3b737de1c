import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Effect } from "effect";
import { useEffect, useRef, useState } from "react";
import { CopyButton } from "../../components/copy-button.js";
import { CsrfInput } from "../../components/csrf-input.js";
import { RouteErrorBoundary } from "../../components/error-page.js";
import { Field } from "../../components/field.js";
import { ErrorNotice } from "../../components/settings/notices.js";
import { access } from "../../roles.js";
import { AppConfig, attempt, Channels, errorResponse, launcherPositions, MAX_ALLOWED_ORIGINS, run } from "../../runtime.server.js";
import { requireUser } from "../../session.server.js";
import styles from "./channel.css?url";
import { chatConfigErrors, chatConfigFromForm, FIELDS, FOLLOW_UP_CHOICES, followUpLabel, splitOrigins, type FormValues } from "./chat-config-form.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.channel.name ?? "Chat channel"} · Channels · Settings · Parley` },
];

const notFound = (id: string) =>
  Response.json({ error: { code: "not_found", message: `chat channel ${id} was not found` } }, { status: 404 });

// The id goes into an HTML attribute of a snippet people paste into their pages.
const escapeAttribute = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const { channel, publicUrl } = await run(
    context,
    Effect.all({
      channel: Effect.flatMap(Channels, (c) => c.get(id)),
      publicUrl: Effect.map(AppConfig, (config) => config.publicUrl),
    }),
  );
  if (!channel.chat) throw notFound(id);
  return {
    channel: { id: channel.id, name: channel.name, inboxName: channel.inboxName, chat: channel.chat },
    snippet: `<script async src="${escapeAttribute(publicUrl)}/widget.js" data-parley-channel="${escapeAttribute(channel.id)}"></script>`,
    positions: launcherPositions,
    maxOrigins: MAX_ALLOWED_ORIGINS,
  };
}

type ActionResult = {
  readonly intent: "save" | "rotate";
  readonly saved: boolean;
  readonly errors: Record<string, string> | null;
  readonly values: FormValues | null;
  /** The new identity secret, present only in the answer to the rotation itself. */
  readonly secret: string | null;
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const form = await request.formData();
  const intent = form.get("intent");
  if (intent === "rotate") {
    const secret = await run(context, Effect.flatMap(Channels, (c) => c.rotateIdentitySecret(id)));
    // The one answer that carries the secret: no cache may keep it.
    return data<ActionResult>({ intent, saved: false, errors: null, values: null, secret }, { headers: { "Cache-Control": "no-store" } });
  }
  if (intent !== "save") {
    throw Response.json({ error: { code: "invalid_input", message: "intent: expected save or rotate", path: "intent" } }, { status: 400 });
  }
  const { input, values } = chatConfigFromForm(form);
  const result = await attempt(context, Effect.flatMap(Channels, (c) => c.updateChatConfig(id, input)));
  if (!result.ok) {
    if (result.cause._tag !== "InvalidInput") throw errorResponse(result.cause);
    const errors = chatConfigErrors(result.error.issues ?? [], splitOrigins(values.allowedOrigins));
    return data<ActionResult>({ intent, saved: false, errors, values, secret: null }, { status: result.status });
  }
  return data<ActionResult>({ intent, saved: true, errors: null, values: null, secret: null });
}

const positionLabels: Record<string, string> = { bottom_right: "Bottom right", bottom_left: "Bottom left" };

export default function ChatChannelSettings() {
  const { channel, snippet, positions, maxOrigins } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const busyIntent = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const [searchParams] = useSearchParams();
  const confirmingRotation = searchParams.get("confirm") === "rotate" && !result?.secret;
  const chat = channel.chat;
  const saveResult = result?.intent === "save" ? result : undefined;
  const errors = saveResult?.errors ?? {};
  const values = saveResult?.values;
  const path = `/settings/channels/${encodeURIComponent(channel.id)}`;

  return (
    <>
      <header className="page-header">
        <p className="muted">
          <Link to="/settings/channels">Channels</Link> / Chat channel
        </p>
        <h1>{channel.name}</h1>
        <p className="lead">
          The website widget. Conversations from it arrive in the <strong>{channel.inboxName}</strong> inbox; which chatflow
          shows on a page is set on each chatflow (targeting and priority).
        </p>
      </header>

      <section className="card" aria-labelledby="install-title">
        <h2 id="install-title">Install the widget</h2>
        <p className="muted">
          Paste this into every page of your site (in <code>&lt;head&gt;</code> or before <code>&lt;/body&gt;</code>). The
          site’s origin must be listed under <em>Sites that may embed the chat</em> below.
        </p>
        <pre className="snippet" aria-label="Install snippet">
          <code>{snippet}</code>
        </pre>
        <div className="row">
          <CopyButton text={snippet} label="Copy snippet" />
          <a href="/demo" className="button button--secondary button--small" target="_blank" rel="noopener">
            See it on the demo site
          </a>
        </div>
      </section>

      <section className="card" aria-labelledby="config-title">
        <h2 id="config-title">Sites, branding and follow-ups</h2>
        {saveResult?.saved && busyIntent !== "save" ? (
          <p className="notice notice--success" role="status">
            Saved. The widget uses the new settings on its next request.
          </p>
        ) : null}
        <ErrorNotice message={errors.form} />
        {/* Remounted when the saved settings change, so the fields show what was stored (normalised). */}
        <Form method="post" action={path} className="form form--wide" noValidate key={JSON.stringify(chat.allowedOrigins) + JSON.stringify(chat.branding) + chat.followUpMinutes}>
          <CsrfInput />
          <fieldset>
            <legend>Sites that may embed the chat</legend>
            {chat.allowedOrigins.includes("*") ? (
              <p className="notice notice--warning">
                <strong>Any site</strong> may embed this chat (<code>*</code>). Fine for trying Parley; list your sites before
                going live.
              </p>
            ) : null}
            <Field
              id="allowed-origins"
              label="Allowed origins"
              error={errors[FIELDS.allowedOrigins]}
              hint={`One per line, scheme and host only, like https://www.example.com (add http://localhost:3000 to try it locally). * allows every site. At most ${maxOrigins}. Parley’s own pages (/demo) always work.`}
            >
              {(props) => (
                <textarea
                  {...props}
                  name={FIELDS.allowedOrigins}
                  rows={Math.min(10, Math.max(3, chat.allowedOrigins.length + 1))}
                  spellCheck={false}
                  autoCapitalize="off"
                  defaultValue={values?.allowedOrigins ?? chat.allowedOrigins.join("\n")}
                />
              )}
            </Field>
          </fieldset>

          <fieldset>
            <legend>Branding defaults</legend>
            <p className="muted small">
              Used by every chatflow on this channel unless the chatflow sets its own. Accent and position apply where a
              chatflow keeps the default (accent #3b5bdb, bottom right).
            </p>
            <div className="form--grid">
              <Field id="brand-name" label="Name" error={errors[FIELDS.name]} hint="The chat’s heading when agents’ names are not shown. Empty: the inbox’s name.">
                {(props) => <input {...props} name={FIELDS.name} maxLength={100} defaultValue={values?.brandName ?? chat.branding.name ?? ""} />}
              </Field>
              <Field id="brand-logo" label="Logo URL" error={errors[FIELDS.logoUrl]} hint="An https address of an image.">
                {(props) => (
                  <input {...props} name={FIELDS.logoUrl} type="url" inputMode="url" placeholder="https://example.com/logo.png" defaultValue={values?.logoUrl ?? chat.branding.logoUrl ?? ""} />
                )}
              </Field>
              <AccentField error={errors[FIELDS.accentColor]} initial={values?.accentColor ?? chat.branding.accentColor ?? ""} />
              <Field id="brand-position" label="Launcher position" error={errors[FIELDS.launcherPosition]}>
                {(props) => (
                  <select {...props} name={FIELDS.launcherPosition} defaultValue={values?.launcherPosition ?? chat.branding.launcherPosition ?? ""}>
                    <option value="">Each chatflow’s own</option>
                    {positions.map((position) => (
                      <option key={position} value={position}>
                        {positionLabels[position] ?? position}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <div className="checkbox">
              <input
                id="brand-powered-by"
                type="checkbox"
                name={FIELDS.showPoweredBy}
                defaultChecked={values ? values.showPoweredBy === "on" : chat.branding.showPoweredBy}
              />
              <label htmlFor="brand-powered-by">Show “Powered by Parley” in the chat</label>
            </div>
          </fieldset>

          <fieldset>
            <legend>Replies the visitor did not see</legend>
            <Field
              id="follow-up-minutes"
              label="Email them to the visitor"
              error={errors[FIELDS.followUpMinutes]}
              hint="When a visitor leaves before seeing an agent’s reply, it follows them by email after this wait, through this inbox’s team email, if they are a contact with an email address. Their answer by email comes back into the chat."
            >
              {(props) => (
                <select {...props} name={FIELDS.followUpMinutes} defaultValue={values?.followUpMinutes ?? String(chat.followUpMinutes)}>
                  {(FOLLOW_UP_CHOICES.includes(chat.followUpMinutes) ? FOLLOW_UP_CHOICES : [...FOLLOW_UP_CHOICES, chat.followUpMinutes].sort((a, b) => a - b)).map((minutes) => (
                    <option key={minutes} value={minutes}>
                      {followUpLabel(minutes)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </fieldset>
          <div className="form__actions">
            <button type="submit" name="intent" value="save" className="button" disabled={busyIntent === "save"}>
              {busyIntent === "save" ? "Saving…" : "Save"}
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="secret-title">
        <h2 id="secret-title">Identity secret</h2>
        <p className="muted">
          Your server signs a logged-in visitor’s email with this secret (HMAC-SHA256) and the page passes the signature to{" "}
          <code>Parley.identify</code>; only signed identities are linked to a contact. Keep it on your server, never in a
          page. It is shown once, right after it is made.
        </p>
        {result?.secret ? <NewSecret secret={result.secret} /> : null}
        <p>
          {chat.identitySecret.configured ? (
            <>
              Current secret: <code className="masked">{"•".repeat(12) + (chat.identitySecret.hint ?? "")}</code>{" "}
              <span className="muted">(hidden; ends in {chat.identitySecret.hint})</span>
            </>
          ) : (
            <span className="muted">No secret yet: identities cannot be verified until you make one.</span>
          )}
        </p>
        {confirmingRotation ? (
          <ConfirmRotation path={path} busy={busyIntent === "rotate"} configured={chat.identitySecret.configured} />
        ) : (
          <Link to="?confirm=rotate" className="button button--secondary" preventScrollReset>
            {chat.identitySecret.configured ? "Rotate secret…" : "Make a secret…"}
          </Link>
        )}
      </section>
    </>
  );
}

/** The accent colour as text (works without JavaScript), with a colour picker and a swatch once it runs. */
function AccentField({ error, initial }: { error?: string; initial: string }) {
  const [value, setValue] = useState(initial);
  const valid = /^#[0-9a-fA-F]{6}$/.test(value.trim());
  return (
    <Field id="brand-accent" label="Accent colour" error={error} hint="A hex colour like #0b7285. Empty: each chatflow’s own.">
      {(props) => (
        <span className="accent">
          <input {...props} name={FIELDS.accentColor} placeholder="#3b5bdb" spellCheck={false} value={value} onChange={(event) => setValue(event.target.value)} />
          <input
            type="color"
            aria-label="Pick the accent colour"
            value={valid ? value.trim().toLowerCase() : "#3b5bdb"}
            onChange={(event) => setValue(event.target.value)}
          />
        </span>
      )}
    </Field>
  );
}

/** The two-step rotation: says what breaks, then rotates or goes back. */
function ConfirmRotation({ path, busy, configured }: { path: string; busy: boolean; configured: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="confirm" role="group" aria-labelledby="confirm-rotate-title">
      <h3 id="confirm-rotate-title" ref={heading} tabIndex={-1}>
        {configured ? "Rotate the identity secret?" : "Make an identity secret?"}
      </h3>
      {configured ? (
        <p>
          The current secret stops working <strong>at once</strong>: identities your sites sign with it are no longer
          verified until your server uses the new one.
        </p>
      ) : null}
      <Form method="post" action={path} className="row">
        <CsrfInput />
        <button type="submit" name="intent" value="rotate" className="button button--danger" disabled={busy}>
          {busy ? "Rotating…" : configured ? "Rotate secret" : "Make secret"}
        </button>
        <Link to={path} className="button button--secondary" preventScrollReset>
          Cancel
        </Link>
      </Form>
    </div>
  );
}

/** The new secret, this once, with a copy button; focus moves here so it is not missed. */
function NewSecret({ secret }: { secret: string }) {
  const region = useRef<HTMLDivElement>(null);
  useEffect(() => region.current?.focus(), [secret]);
  return (
    <div className="notice notice--success new-secret" ref={region} tabIndex={-1}>
      <p>
        <strong>New identity secret.</strong> Copy it now and store it on your server: it will not be shown again.
      </p>
      <div className="row">
        <input className="secret" readOnly value={secret} aria-label="New identity secret" spellCheck={false} onFocus={(event) => event.target.select()} />
        <CopyButton text={secret} label="Copy secret" />
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
