import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CopyButton } from "../components/copy-button.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import { ErrorNotice } from "../components/settings/notices.js";
import { access } from "../roles.js";
import { attempt, Channels, errorResponse, MESSENGER_MAX_QUICK_REPLIES, MessengerChannel, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

// No stylesheet of its own: a .css file beside a flat route module is taken for a second route
// with the same id, so the few layout rules here are inline and the rest is app.css.
const valueRow = { display: "flex", flexWrap: "wrap", alignItems: "center", gap: "0.6rem", margin: "0 0 0.75rem" } as const;
const valueCode = { wordBreak: "break-all", fontSize: "0.88rem" } as const;

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.channel.name ?? "Messenger channel"} · Channels · Settings · Parley` },
];

const FIELDS = ["pageId", "appSecret", "pageAccessToken", "chatflowId", "humanAgentTag"] as const;
type FieldName = (typeof FIELDS)[number];
type Values = Record<FieldName, string>;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const { channel, settings } = await run(
    context,
    Effect.all({
      channel: Effect.flatMap(Channels, (c) => c.get(id)),
      settings: Effect.flatMap(MessengerChannel, (m) => m.settings(id)),
    }),
  );
  // The verify token is a shared secret with Facebook: no cache keeps the page.
  return data(
    { channel: { id: channel.id, name: channel.name, inboxName: channel.inboxName }, settings, maxQuickReplies: MESSENGER_MAX_QUICK_REPLIES },
    { headers: { "Cache-Control": "no-store" } },
  );
}

type ActionResult =
  | { readonly saved: true; readonly createdChatflowId: string | null }
  | { readonly saved: false; readonly errors: Partial<Record<FieldName | "form", string>>; readonly values: Omit<Values, "appSecret" | "pageAccessToken"> };

/** A form field's string; a missing one reads as empty, which the schema judges. */
const fieldOf = (form: FormData, name: FieldName): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const form = await request.formData();
  const input = Object.fromEntries(FIELDS.map((name) => [name, fieldOf(form, name)])) as Values;
  // An unticked checkbox sends nothing: on this form that means off (any other value is the schema's to refuse).
  if (!form.has("humanAgentTag")) input.humanAgentTag = "off";
  const result = await attempt(context, Effect.flatMap(MessengerChannel, (m) => m.saveSettings(id, input, user.id)));
  if (result.ok) return data<ActionResult>({ saved: true, createdChatflowId: result.value.createdChatflowId });
  if (result.cause._tag !== "InvalidInput") throw errorResponse(result.cause);
  const errors: Partial<Record<FieldName | "form", string>> = {};
  for (const issue of result.cause.issues) {
    const field = (FIELDS as ReadonlyArray<string>).includes(issue.path) ? (issue.path as FieldName) : "form";
    errors[field] ??= issue.message;
  }
  // Secrets typed into the form are never sent back into the page.
  const values = { pageId: input.pageId, chatflowId: input.chatflowId, humanAgentTag: input.humanAgentTag };
  return data<ActionResult>({ saved: false, errors, values }, { status: result.status });
}

export default function MessengerChannelSettings() {
  const { channel, settings, maxQuickReplies } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const errors = result && !result.saved ? result.errors : {};
  const values = result && !result.saved ? result.values : undefined;
  const path = `/settings/channels/messenger/${encodeURIComponent(channel.id)}`;
  const createdFlow = result?.saved ? settings.chatflows.find((flow) => flow.id === result.createdChatflowId) : undefined;

  return (
    <>
      <header className="page-header">
        <p className="muted">
          <Link to="/settings/channels">Channels</Link> / Messenger
        </p>
        <h1>{channel.name}</h1>
        <p className="lead">
          A Facebook page’s Messenger conversations. They arrive in the <strong>{channel.inboxName}</strong> inbox; a chatflow
          answers first and hands over to the team.
        </p>
        <p>
          {settings.connected ? (
            <span className="badge" style={{ color: "var(--success)", borderColor: "currentColor" }}>
              Connected to page {settings.pageId}
            </span>
          ) : (
            <span className="badge">Not connected yet</span>
          )}
        </p>
      </header>

      <section className="card" aria-labelledby="webhook-title">
        <h2 id="webhook-title">Webhook for Facebook</h2>
        <p className="muted">
          In your Meta app, open <em>Messenger → Settings → Webhooks</em>, choose <em>Add callback URL</em>, paste these two
          values, then subscribe the page to <code>messages</code> and <code>messaging_postbacks</code>.
        </p>
        <dl>
          <dt>
            <strong>Callback URL</strong>
          </dt>
          <dd style={valueRow}>
            <code style={valueCode}>{settings.webhookUrl}</code> <CopyButton text={settings.webhookUrl} label="Copy URL" />
          </dd>
          <dt>
            <strong>Verify token</strong>
          </dt>
          <dd style={valueRow}>
            <code style={valueCode}>{settings.verifyToken}</code> <CopyButton text={settings.verifyToken} label="Copy token" />
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="page-title">
        <h2 id="page-title">Page and chatflow</h2>
        {result?.saved && !busy ? (
          <p className="notice notice--success" role="status">
            Saved.
            {createdFlow ? (
              <>
                {" "}
                The page is connected, and the chatflow <Link to={`/flows/${encodeURIComponent(createdFlow.id)}`}>{createdFlow.name}</Link> now
                greets new conversations — edit it like any other.
              </>
            ) : null}
          </p>
        ) : null}
        <ErrorNotice message={errors.form} />
        <Form method="post" action={path} className="form" noValidate key={JSON.stringify([settings.pageId, settings.chatflowId, settings.appSecret, settings.pageAccessToken, settings.humanAgentTag])}>
          <CsrfInput />
          <Field id="messenger-page-id" label="Facebook page id" error={errors.pageId} hint="The page’s number, under its About → Page transparency (or in the page’s URL).">
            {(props) => <input {...props} name="pageId" inputMode="numeric" autoComplete="off" spellCheck={false} defaultValue={values?.pageId ?? settings.pageId ?? ""} />}
          </Field>
          <SecretField
            id="messenger-app-secret"
            name="appSecret"
            label="App secret"
            error={errors.appSecret}
            hint="App settings → Basic → App secret. Parley checks every webhook call with it."
            stored={settings.appSecret}
          />
          <SecretField
            id="messenger-page-token"
            name="pageAccessToken"
            label="Page access token"
            error={errors.pageAccessToken}
            hint="Messenger → Settings → Access tokens → Generate for this page. Replies are sent with it."
            stored={settings.pageAccessToken}
          />
          <Field
            id="messenger-chatflow"
            label="Chatflow for new conversations"
            error={errors.chatflowId}
            hint={
              settings.connected
                ? `A bot chatflow of this channel answers each new conversation; its choices show as quick replies (more than ${maxQuickReplies} go as a numbered list).`
                : "Connecting the page creates a default bot (a greeting and “Talk to a person”), which answers new conversations."
            }
          >
            {(props) => (
              <select {...props} name="chatflowId" defaultValue={values?.chatflowId ?? settings.chatflowId ?? ""}>
                <option value="">{settings.connected ? "No chatflow: new conversations go straight to the team" : "The default bot (created when you save)"}</option>
                {settings.chatflows.map((flow) => (
                  <option key={flow.id} value={flow.id}>
                    {flow.name}
                    {flow.live ? "" : " (not live: publish and switch it on)"}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <HumanAgentTagField checked={values ? values.humanAgentTag === "on" : settings.humanAgentTag} error={errors.humanAgentTag} />
          <div className="form__actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Saving…" : settings.connected ? "Save" : "Connect page"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}

/**
 * The Human Agent tag's switch, a checkbox with its label beside it (the Field component is
 * for text controls), with the same hint and error wiring for screen readers.
 */
function HumanAgentTagField({ checked, error }: { checked: boolean; error: string | undefined }) {
  const id = "messenger-human-agent-tag";
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <div className="choice">
        <input
          id={id}
          type="checkbox"
          name="humanAgentTag"
          defaultChecked={checked}
          aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
          {...(error ? { "aria-invalid": true as const } : {})}
        />
        <label htmlFor={id}>Use the Human Agent tag (replies up to 7 days)</label>
      </div>
      <p id={`${id}-hint`} className="field__hint">
        Messenger lets a page answer only within 24 hours of the person’s last message. With this on, an agent’s reply sent
        later, up to 7 days after it, goes with Messenger’s <code>HUMAN_AGENT</code> tag; the bot’s messages never do. The Meta
        app needs the <em>Human Agent</em> permission, approved in App Review: without it Messenger refuses those replies, and
        each one shows as failed with that reason.
      </p>
      {error ? <FieldError id={`${id}-error`} message={error} /> : null}
    </div>
  );
}

/** A secret's field: never filled in; says whether one is stored and how it ends, and that empty keeps it. */
function SecretField({
  id,
  name,
  label,
  error,
  hint,
  stored,
}: {
  id: string;
  name: string;
  label: string;
  error: string | undefined;
  hint: string;
  stored: { configured: boolean; hint: string | null };
}) {
  const note = stored.configured ? ` Stored (ends in ${stored.hint}); leave empty to keep it.` : "";
  return (
    <Field id={id} label={label} error={error} hint={hint + note}>
      {(props) => (
        <input
          {...props}
          name={name}
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder={stored.configured ? `•••••••••••• ${stored.hint ?? ""}` : ""}
        />
      )}
    </Field>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
