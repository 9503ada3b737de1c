import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import { access } from "../roles.js";
import { attempt, Channels, errorResponse, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Channels · Settings · Parley" }];

const kindLabels = { chat: "Chat (website widget)", form: "Form", email: "Email", messenger: "Messenger" } as const;
type Kind = keyof typeof kindLabels;
const kindHints: Record<Kind, string> = {
  chat: "The chat widget for a website: its sites, branding and install snippet.",
  form: "A form on your site: each submission opens a conversation and a ticket.",
  email: "A shared team address: mail forwarded to Parley opens conversations; replies go out by email.",
  messenger: "A Facebook page: its Messenger conversations, answered by a chatflow and the team.",
};

/** Where a channel's own settings live. */
export const channelSettingsPath = (kind: Kind, id: string) =>
  kind === "chat" ? `/settings/channels/${encodeURIComponent(id)}` : `/settings/channels/${kind}/${encodeURIComponent(id)}`;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const { channels, inboxes } = await run(
    context,
    Effect.all({ channels: Effect.flatMap(Channels, (c) => c.list()), inboxes: Effect.flatMap(Workspace, (w) => w.listInboxes()) }),
  );
  return {
    channels: channels.map(({ id, name, kind, inboxId, inboxName }) => ({ id, name, kind, inboxId, inboxName })),
    inboxes: inboxes.map(({ id, name }) => ({ id, name })),
  };
}

type ActionResult = {
  readonly intent: "create" | "update";
  readonly channelId: string | null;
  readonly errors: Record<string, string>;
  readonly values: Record<string, string>;
  readonly saved: boolean;
};

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const form = await request.formData();
  const intent = form.get("intent");
  const text = (key: string) => {
    const value = form.get(key);
    return typeof value === "string" ? value : "";
  };
  if (intent === "create") {
    const values = { kind: text("kind"), name: text("name"), inboxId: text("inboxId") };
    const result = await attempt(context, Effect.flatMap(Channels, (c) => c.create(values)));
    if (result.ok) return redirect(channelSettingsPath(result.value.kind, result.value.id));
    if (result.cause._tag !== "InvalidInput") throw errorResponse(result.cause);
    const errors = Object.fromEntries((result.error.issues ?? []).map((issue) => [issue.path, issue.message]));
    return data<ActionResult>({ intent, channelId: null, errors, values, saved: false }, { status: result.status });
  }
  if (intent === "update") {
    const channelId = text("channelId");
    const values = { name: text("name"), inboxId: text("inboxId") };
    const result = await attempt(context, Effect.flatMap(Channels, (c) => c.update(channelId, values)));
    if (!result.ok) {
      if (result.cause._tag !== "InvalidInput") throw errorResponse(result.cause);
      const errors = Object.fromEntries((result.error.issues ?? []).map((issue) => [issue.path, issue.message]));
      return data<ActionResult>({ intent, channelId, errors, values, saved: false }, { status: result.status });
    }
    return data<ActionResult>({ intent, channelId, errors: {}, values, saved: true });
  }
  throw Response.json({ error: { code: "invalid_input", message: "intent: expected create or update", path: "intent" } }, { status: 400 });
}

export default function ChannelsSettings() {
  const { channels, inboxes } = useLoaderData<typeof loader>();
  // The inbox choices, the same in every row's "Rename or move" and in "Add a channel".
  const inboxOptions = inboxes.map((inbox) => (
    <option key={inbox.id} value={inbox.id}>
      {inbox.name}
    </option>
  ));
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const created = result?.intent === "create" ? result : undefined;
  const createErrors = created?.errors ?? {};

  return (
    <>
      <header className="page-header">
        <h1>Channels</h1>
        <p className="lead">
          The paths by which visitors reach the team. Each channel delivers into one inbox: the website chat widget, a form,
          a shared email address, or a Facebook page on Messenger.
        </p>
      </header>
      <section className="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Connected channels ({channels.length})</h2>
        {channels.length === 0 ? (
          <p className="muted">No channels yet. Add one below.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Inbox</th>
                <th scope="col">
                  <span className="visually-hidden">Rename or move</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {channels.map((channel) => {
                const mine = result?.intent === "update" && result.channelId === channel.id ? result : undefined;
                const errors = mine?.errors ?? {};
                return (
                  <tr key={channel.id}>
                    <td>
                      <Link to={channelSettingsPath(channel.kind, channel.id)}>{channel.name}</Link>
                    </td>
                    <td>
                      <span className="badge">{kindLabels[channel.kind]}</span>
                    </td>
                    <td>{channel.inboxName}</td>
                    <td>
                      <details open={mine !== undefined && !mine.saved}>
                        <summary>Rename or move</summary>
                        <Form method="post" className="stack" aria-label={`Rename or move ${channel.name}`}>
                          <CsrfInput />
                          <input type="hidden" name="intent" value="update" />
                          <input type="hidden" name="channelId" value={channel.id} />
                          <Field id={`name-${channel.id}`} label="Name" error={errors["name"]}>
                            {(props) => <input {...props} name="name" defaultValue={mine?.values["name"] ?? channel.name} required maxLength={80} />}
                          </Field>
                          <Field id={`inbox-${channel.id}`} label="Inbox" error={errors["inboxId"]}>
                            {(props) => (
                              <select {...props} name="inboxId" defaultValue={mine?.values["inboxId"] ?? channel.inboxId}>
                                {inboxOptions}
                              </select>
                            )}
                          </Field>
                          <button type="submit" className="button button--small" disabled={busy === "update"}>
                            Save
                          </button>
                        </Form>
                      </details>
                      {mine?.saved ? (
                        <p role="status" className="muted">
                          Saved.
                        </p>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="add-channel-title">
        <h2 id="add-channel-title">Add a channel</h2>
        <Form method="post" className="stack" aria-labelledby="add-channel-title">
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <fieldset className="choices">
            <legend>Kind</legend>
            {(Object.keys(kindLabels) as Kind[]).map((kind) => (
              <label key={kind} className="choice">
                <input type="radio" name="kind" value={kind} defaultChecked={(created?.values["kind"] ?? "chat") === kind} />
                <span>
                  <strong>{kindLabels[kind]}</strong> <span className="muted">{kindHints[kind]}</span>
                </span>
              </label>
            ))}
            <FieldError message={createErrors["kind"]} />
          </fieldset>
          <Field id="new-channel-name" label="Name" error={createErrors["name"]} hint="How the team tells channels apart, e.g. “Pricing page form”.">
            {(props) => <input {...props} name="name" defaultValue={created?.values["name"] ?? ""} required maxLength={80} />}
          </Field>
          <Field id="new-channel-inbox" label="Inbox" error={createErrors["inboxId"]} hint="Where its conversations arrive.">
            {(props) => (
              <select {...props} name="inboxId" defaultValue={created?.values["inboxId"] ?? inboxes[0]?.id}>
                {inboxOptions}
              </select>
            )}
          </Field>
          <div className="row">
            <button type="submit" className="button" disabled={busy === "create"}>
              {busy === "create" ? "Adding…" : "Add channel"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
