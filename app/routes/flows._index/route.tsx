import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import { Either } from "effect";
import { useEffect, useState, type DragEvent, type FormEvent, type SyntheticEvent } from "react";
import { CsrfInput, useCsrfToken } from "../../components/csrf-input.js";
import { RouteErrorBoundary } from "../../components/error-page.js";
import { Field } from "../../components/field.js";
import { ErrorNotice } from "../../components/settings/notices.js";
import { access } from "../../roles.js";
import { requireUser } from "../../session.server.js";
import { actionKey, beginAction, checkedAction, formActionKey, freshAnswer, noAction, refusedFor, type CurrentAction } from "./current-action.js";
import { issueLines, parseFlowFile } from "./import-flow.js";
import { CreateFlowForm, decodeForm, dropBefore, issuesByField, RenameFlowForm } from "./list-forms.js";
import { handleListAction, loadFlowList, type FlowListItem, type ListActionResult } from "./list.server.js";
import listStyles from "./flow-list.css?url";

export const meta: MetaFunction = () => [{ title: "Flows · Parley" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: listStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.flows);
  return loadFlowList(context);
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.flows);
  const outcome = await handleListAction(request, context, user);
  if (outcome instanceof Response) return outcome;
  return data(outcome.result, { status: outcome.status });
}

const kindLabel = { bot: "Bot", live_chat: "Live chat" } as const;

/** What a row says about where the flow stands: draft, published vN, live on a channel. */
function Status({ flow }: { flow: FlowListItem }) {
  if (flow.publishedVersion === null) return <span className="badge">Draft · never published</span>;
  const published = `Published v${flow.publishedVersion}`;
  if (!flow.enabled) return <span className="badge">{published} · off</span>;
  if (!flow.channelName) return <span className="badge">{published} · on no channel</span>;
  return (
    <span className="badge badge--live">
      {published} · live on {flow.channelName}
    </span>
  );
}

export default function FlowsPage() {
  const { flows, channels, templates } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ListActionResult | undefined;
  const navigation = useNavigation();
  const busyIntent = navigation.state === "submitting" ? String(navigation.formData?.get("intent") ?? "") : null;
  const reorder = useFetcher<ListActionResult>();
  const csrf = useCsrfToken();

  // The order shown while a drag's reorder is on its way (the server's after that).
  const [order, setOrder] = useState<ReadonlyArray<string> | null>(null);
  useEffect(() => {
    if (reorder.state === "idle") setOrder(null);
  }, [reorder.state, flows]);
  const byId = new Map(flows.map((f) => [f.id, f]));
  const shown = order ? order.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])) : flows;

  const [dragged, setDragged] = useState<string | null>(null);
  const onDrop = (event: DragEvent, beforeId: string | null) => {
    event.preventDefault();
    const moved = dragged ?? event.dataTransfer.getData("text/x-parley-flow");
    setDragged(null);
    if (!moved || moved === beforeId) return;
    const ids = shown.map((f) => f.id);
    const next = dropBefore(ids, moved, beforeId);
    if (next === ids) return;
    setOrder(next);
    begin(actionKey("reorder"));
    reorder.submit({ intent: "reorder", moved, before: beforeId ?? "", csrf }, { method: "post" });
  };

  // A message belongs to the action that caused it: starting another one takes it away.
  const [current, setCurrent] = useState<CurrentAction<ListActionResult>>(noAction);
  const begin = (key: string | null) => {
    if (key !== null) setCurrent((state) => beginAction(state, key, [result, reorder.data]));
  };
  const checked = (key: string, refused: Record<string, string> | null) =>
    setCurrent((state) => checkedAction(state, key, refused, [result, reorder.data]));
  const answer = freshAnswer(current, result);
  const reordered = freshAnswer(current, reorder.data);

  const notice = reordered?.notice ?? answer?.notice;
  const formError = reordered?.errors?.form ?? (answer?.intent !== "create" ? answer?.errors?.form : undefined);

  return (
    // Any form submitted or edited on the page starts its action (capture: before the form's own check).
    <div onSubmitCapture={(event) => begin(formActionKey(event.target))} onChangeCapture={(event) => begin(formActionKey(event.target))}>
      <header className="page-header">
        <h1>Flows</h1>
        <p className="lead">Chatflows greet visitors on your website, answer their questions and hand them to your team.</p>
      </header>

      {notice ? (
        <p className="notice notice--success" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorNotice message={formError} />

      <section className="card" aria-labelledby="flows-title">
        <h2 id="flows-title">Your flows ({flows.length})</h2>
        <p className="muted">
          The first flow whose targeting matches a page is the one visitors see there. Drag a row, or use its arrows, to change the
          order.
        </p>
        {flows.length === 0 ? (
          <p>No flows yet. Create one below, from scratch or from a template.</p>
        ) : (
          <table className="table flow-table">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">On</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((flow, index) => (
                <tr
                  key={flow.id}
                  draggable
                  className={dragged === flow.id ? "flow-row flow-row--dragging" : "flow-row"}
                  onDragStart={(event) => {
                    setDragged(flow.id);
                    event.dataTransfer.effectAllowed = "move";
                    event.dataTransfer.setData("text/x-parley-flow", flow.id);
                  }}
                  onDragEnd={() => setDragged(null)}
                  onDragOver={(event) => {
                    event.preventDefault();
                    event.dataTransfer.dropEffect = "move";
                  }}
                  onDrop={(event) => onDrop(event, flow.id)}
                  aria-label={flow.name}
                >
                  <td className="flow-order">
                    <span className="flow-grip" aria-hidden="true" title="Drag to reorder">
                      ⠿
                    </span>
                    <span className="flow-rank">{index + 1}</span>
                    <Form method="post" className="flow-moves">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="move" />
                      <input type="hidden" name="id" value={flow.id} />
                      <button
                        type="submit"
                        name="direction"
                        value="up"
                        className="icon-button"
                        aria-label={`Move “${flow.name}” up`}
                        disabled={index === 0}
                      >
                        ↑
                      </button>
                      <button
                        type="submit"
                        name="direction"
                        value="down"
                        className="icon-button"
                        aria-label={`Move “${flow.name}” down`}
                        disabled={index === shown.length - 1}
                      >
                        ↓
                      </button>
                    </Form>
                  </td>
                  <td>
                    <Link to={`/flows/${encodeURIComponent(flow.id)}`} className="flow-name">
                      {flow.name}
                    </Link>
                    {flow.conversations > 0 ? (
                      <div className="muted flow-meta">
                        {flow.conversations} conversation{flow.conversations === 1 ? "" : "s"}
                      </div>
                    ) : null}
                  </td>
                  <td>{kindLabel[flow.kind]}</td>
                  <td>
                    <Status flow={flow} />
                    {flow.awayNow !== null ? <p className="flow-list__away">Away now: {flow.awayNow}.</p> : null}
                  </td>
                  <td>
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="toggle" />
                      <input type="hidden" name="id" value={flow.id} />
                      <input type="hidden" name="enabled" value={flow.enabled ? "off" : "on"} />
                      <button type="submit" role="switch" aria-checked={flow.enabled} aria-label={`“${flow.name}” on`} className="switch">
                        <span className="switch__track" aria-hidden="true" />
                        <span className="switch__text">{flow.enabled ? "On" : "Off"}</span>
                      </button>
                    </Form>
                  </td>
                  <td>
                    <RowActions
                      flow={flow}
                      result={answer}
                      refused={refusedFor(current, actionKey("rename", flow.id))}
                      onCheck={checked}
                      onOpen={begin}
                      busy={busyIntent}
                    />
                  </td>
                </tr>
              ))}
              <tr
                className="flow-drop-end"
                aria-hidden="true"
                onDragOver={(event) => event.preventDefault()}
                onDrop={(event) => onDrop(event, null)}
              >
                <td colSpan={6} />
              </tr>
            </tbody>
          </table>
        )}
      </section>

      <div className="flow-new">
        <CreateFlow
          channels={channels}
          templates={templates}
          result={answer?.intent === "create" ? answer : undefined}
          refused={refusedFor(current, actionKey("create"))}
          onCheck={checked}
          busy={busyIntent === "create"}
        />
        <ImportFlow channels={channels} result={answer?.intent === "import" ? answer : undefined} busy={busyIntent === "import"} />
      </div>
    </div>
  );
}

/** Tells the page what the browser's check of a form found: its messages by field, or null when the values passed. */
type OnCheck = (key: string, refused: Record<string, string> | null) => void;

function RowActions({
  flow,
  result,
  refused,
  onCheck,
  onOpen,
  busy,
}: {
  flow: FlowListItem;
  result: ListActionResult | undefined;
  refused: Readonly<Record<string, string>> | null;
  onCheck: OnCheck;
  onOpen: (key: string) => void;
  busy: string | null;
}) {
  const mine = result?.id === flow.id;
  const renameKey = actionKey("rename", flow.id);
  const errors = refused ?? (mine && result?.intent === "rename" ? (result.errors ?? {}) : {});
  const checkRename = (event: FormEvent<HTMLFormElement>) => {
    const values = { id: flow.id, name: String(new FormData(event.currentTarget).get("name") ?? "") };
    const decoded = decodeForm(RenameFlowForm)(values);
    if (Either.isLeft(decoded)) {
      event.preventDefault();
      onCheck(renameKey, issuesByField(decoded.left));
    } else onCheck(renameKey, null);
  };
  // Opening a form starts its action; closing one starts nothing.
  const opened = (key: string) => (event: SyntheticEvent<HTMLDetailsElement>) => {
    if (event.currentTarget.open) onOpen(key);
  };
  return (
    <div className="flow-actions">
      <details
        className="disclosure"
        open={mine && result?.intent === "rename" && Boolean(result.errors) ? true : undefined}
        onToggle={opened(renameKey)}
      >
        <summary className="button button--secondary button--small">Rename</summary>
        <Form method="post" className="disclosure__panel" onSubmit={checkRename} noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="rename" />
          <input type="hidden" name="id" value={flow.id} />
          <Field id={`rename-${flow.id}`} label={`New name for “${flow.name}”`} error={errors.name}>
            {(props) => <input {...props} name="name" defaultValue={flow.name} required maxLength={200} />}
          </Field>
          <button type="submit" className="button button--small" disabled={busy === "rename"}>
            Save name
          </button>
        </Form>
      </details>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="duplicate" />
        <input type="hidden" name="id" value={flow.id} />
        <button type="submit" className="button button--secondary button--small" aria-label={`Duplicate “${flow.name}”`}>
          Duplicate
        </button>
      </Form>
      <a className="button button--secondary button--small" href={`/flows/${encodeURIComponent(flow.id)}/export`} download aria-label={`Export “${flow.name}”`}>
        Export
      </a>
      <details className="disclosure" onToggle={opened(actionKey("delete", flow.id))}>
        <summary className="button button--secondary button--small button--danger" aria-label={`Delete “${flow.name}”…`}>
          Delete…
        </summary>
        <Form method="post" className="disclosure__panel" role="alertdialog" aria-label={`Confirm deleting “${flow.name}”`}>
          <CsrfInput />
          <input type="hidden" name="intent" value="delete" />
          <input type="hidden" name="id" value={flow.id} />
          {flow.conversations > 0 ? (
            <p>
              “{flow.name}” has {flow.conversations} conversation{flow.conversations === 1 ? "" : "s"}, so it will be <strong>archived</strong>{" "}
              instead: it leaves this list and your website, and its conversations stay in the inbox and reports.
            </p>
          ) : (
            <p>
              “{flow.name}” and its published versions will be deleted for good. Previews of it go too.
            </p>
          )}
          <button type="submit" className="button button--small button--danger-solid" disabled={busy === "delete"}>
            {flow.conversations > 0 ? "Archive flow" : "Delete flow"}
          </button>
        </Form>
      </details>
    </div>
  );
}

type Channels = ReadonlyArray<{ id: string; name: string; kind: string }>;

function ChannelSelect({ id, channels, error }: { id: string; channels: Channels; error?: string }) {
  return (
    <Field id={id} label="Channel" error={error} hint="Where visitors meet this flow. You can publish before choosing one.">
      {(props) => (
        <select {...props} name="channelId" defaultValue={channels[0]?.id ?? ""}>
          <option value="">No channel yet</option>
          {channels.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function CreateFlow({
  channels,
  templates,
  result,
  refused,
  onCheck,
  busy,
}: {
  channels: Channels;
  templates: ReadonlyArray<{ id: string; name: string; kind: "bot" | "live_chat"; nodes: number }>;
  result: ListActionResult | undefined;
  refused: Readonly<Record<string, string>> | null;
  onCheck: OnCheck;
  busy: boolean;
}) {
  const errors = refused ?? result?.errors ?? {};
  const values = result?.values ?? {};
  const check = (event: FormEvent<HTMLFormElement>) => {
    const form = new FormData(event.currentTarget);
    const decoded = decodeForm(CreateFlowForm)({
      name: String(form.get("name") ?? ""),
      startFrom: String(form.get("startFrom") ?? ""),
      channelId: String(form.get("channelId") ?? ""),
    });
    if (Either.isLeft(decoded)) {
      event.preventDefault();
      onCheck(actionKey("create"), issuesByField(decoded.left));
    } else onCheck(actionKey("create"), null);
  };
  return (
    <section className="card" aria-labelledby="new-flow-title">
      <h2 id="new-flow-title">Create a flow</h2>
      <ErrorNotice message={errors.form} />
      <Form method="post" className="form" onSubmit={check} noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <Field id="new-flow-name" label="Name" error={errors.name}>
          {(props) => <input {...props} name="name" required maxLength={200} defaultValue={values.name ?? ""} autoComplete="off" />}
        </Field>
        <Field id="new-flow-start" label="Start from" error={errors.startFrom} hint="A bot collects answers and branches; a live chat greets and hands over to a person.">
          {(props) => (
            <select {...props} name="startFrom" defaultValue={values.startFrom ?? "blank:bot"}>
              <optgroup label="Blank">
                <option value="blank:bot">Blank bot</option>
                <option value="blank:live_chat">Blank live chat</option>
              </optgroup>
              {templates.length > 0 ? (
                <optgroup label="Templates">
                  {templates.map((t) => (
                    <option key={t.id} value={`template:${t.id}`}>
                      {t.name} ({kindLabel[t.kind].toLowerCase()}, {t.nodes} steps)
                    </option>
                  ))}
                </optgroup>
              ) : null}
            </select>
          )}
        </Field>
        <ChannelSelect id="new-flow-channel" channels={channels} error={errors.channelId} />
        <div className="form__actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? "Creating…" : "Create flow"}
          </button>
        </div>
      </Form>
    </section>
  );
}

function ImportFlow({ channels, result, busy }: { channels: Channels; result: ListActionResult | undefined; busy: boolean }) {
  const [problems, setProblems] = useState<ReadonlyArray<string> | null>(null);
  const shown = problems ?? result?.importErrors ?? [];
  const checkFile = async (file: File | undefined) => {
    if (!file) return setProblems(null);
    const parsed = parseFlowFile(await file.text());
    setProblems(Either.isLeft(parsed) ? issueLines(parsed.left) : []);
  };
  return (
    <section className="card" aria-labelledby="import-flow-title">
      <h2 id="import-flow-title">Import a flow</h2>
      <p className="muted">A flow exported from Parley (its “Export” button), or a flow spec written by hand.</p>
      <Form
        method="post"
        encType="multipart/form-data"
        className="form"
        onSubmit={(event) => {
          if (problems && problems.length > 0) event.preventDefault();
        }}
      >
        <CsrfInput />
        <input type="hidden" name="intent" value="import" />
        <Field id="import-file" label="Flow file (.json)">
          {(props) => (
            <input
              {...props}
              type="file"
              name="file"
              accept="application/json,.json"
              required
              onChange={(event) => void checkFile(event.currentTarget.files?.[0])}
            />
          )}
        </Field>
        <ChannelSelect id="import-channel" channels={channels} />
        {shown.length > 0 ? (
          <div className="notice notice--error" role="alert">
            <p>This file cannot be imported:</p>
            <ul className="issue-list">
              {shown.slice(0, 50).map((line, i) => (
                <li key={i}>
                  <code>{line}</code>
                </li>
              ))}
            </ul>
            {shown.length > 50 ? <p>…and {shown.length - 50} more.</p> : null}
          </div>
        ) : problems ? (
          <p className="notice notice--success" role="status">
            The file is a valid flow.
          </p>
        ) : null}
        <div className="form__actions">
          <button type="submit" className="button" disabled={busy || (problems !== null && problems.length > 0)}>
            {busy ? "Importing…" : "Import flow"}
          </button>
        </div>
      </Form>
    </section>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
