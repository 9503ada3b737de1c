import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import { lazy, Suspense, useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { canonicalJson } from "../../../flows/canonical-json.js";
import { compile, type CompileContext, type CompileResult } from "../../../flows/compile.js";
import type { Diagnostic } from "../../../flows/diagnostics.js";
import type { FlowDocument } from "../../../flows/flow-document.js";
import type { FlowSpec } from "../../../flows/flow-spec.js";
import { useCsrfToken } from "../../components/csrf-input.js";
import { RouteErrorBoundary } from "../../components/error-page.js";
import editorStyles from "../../components/flow-editor/editor.css?url";
import { editorReducer, FlowEditor, initialEditorState } from "../../components/flow-editor/index.js";
import type { CalendarRead, CalendarSource, SettingsTab, WorkspaceClosedDates } from "../../components/flow-settings/flow-settings.js";
import type { TeamCalendarView } from "../../components/flow-settings/settings-model.js";
import settingsStyles from "../../components/flow-settings/flow-settings.css?url";
import { useFlowAnalytics } from "../../components/reports/analytics-toggle.js";
import { documentFromSpec } from "../../components/flow-spec-panel/spec-json.js";
import { fetchJson } from "../../components/preview/json-fetch.js";
import previewStyles from "../../components/preview/preview.css?url";
import { access } from "../../roles.js";
import type { VersionHistoryEntry } from "../../runtime.server.js";
import { requireUser } from "../../session.server.js";
import { compileInBackground } from "./compile-client.js";
import { DiagnosticsPanel } from "./diagnostics-panel.js";
import { DraftSaver, statusLine, type SaveResult, type SaveStatus } from "./draft-saver.js";
import pageStyles from "./editor-page.css?url";
import { loadEditor } from "./editor.server.js";
import { VersionsPanel } from "./versions-panel.js";

// The canvas is what opens; the other tabs and the preview load when first opened, so their
// code (the Spec tab brings Monaco's loader) is not parsed before the canvas is usable.
const FlowSettings = lazy(() => import("../../components/flow-settings/flow-settings.js").then((m) => ({ default: m.FlowSettings })));
const FlowSpecPanel = lazy(() => import("../../components/flow-spec-panel/flow-spec-panel.js").then((m) => ({ default: m.FlowSpecPanel })));
const PreviewPane = lazy(() => import("../../components/preview/preview-pane.js").then((m) => ({ default: m.PreviewPane })));

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: editorStyles },
  { rel: "stylesheet", href: settingsStyles },
  { rel: "stylesheet", href: previewStyles },
  { rel: "stylesheet", href: pageStyles },
];

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.flow.name ?? "Flow"} · Flows · Parley` }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.flows);
  return loadEditor(context, params.id ?? "");
}

/**
 * The open document is the browser's (autosaved), so actions elsewhere must not reload it;
 * moving to another flow does load that flow.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ currentParams, nextParams, defaultShouldRevalidate }) =>
  currentParams.id !== nextParams.id ? defaultShouldRevalidate : false;

type Tab = "canvas" | "settings" | "spec" | "versions";
const TABS: ReadonlyArray<readonly [Tab, string]> = [
  ["canvas", "Canvas"],
  ["settings", "Settings"],
  ["spec", "Spec"],
  ["versions", "Versions"],
];

const KIND_LABEL = { bot: "Bot", live_chat: "Live chat" } as const;
const COMPILE_DELAY_MS = 300;
/** The longest the first check waits for the browser to be idle after the canvas is up. */
const FIRST_COMPILE_WAIT_MS = 1_000;
const NO_DIAGNOSTICS: ReadonlyArray<Diagnostic> = [];
const CHECKING = "Checking the flow…";

/** Runs `task` once the browser is idle (at most `timeout` ms from now); returns a cancel function. */
const whenIdle = (task: () => void, timeout: number): (() => void) => {
  if (typeof requestIdleCallback === "function") {
    const id = requestIdleCallback(task, { timeout });
    return () => cancelIdleCallback(id);
  }
  const timer = setTimeout(task, 50);
  return () => clearTimeout(timer);
};

const Loading = () => (
  <p className="muted" role="status">
    Loading…
  </p>
);

/** sha256 of the spec's canonical JSON (the server's content hash), when the browser can hash. */
const specHash = async (spec: FlowSpec): Promise<string | null> => {
  if (typeof crypto === "undefined" || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(spec)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
};

const settingsTabFor = (path: string): SettingsTab | null => {
  if (path === "language") return "language";
  if (!path.startsWith("settings.")) return null;
  const section = path.slice("settings.".length).split(/[.[]/)[0];
  if (section === "targeting") return "targeting";
  if (section === "display" || section === "branding") return "display";
  if (section === "availability") return "availability";
  if (section === "sessionTimeoutMinutes") return "session";
  return null;
};

export default function FlowEditorPage() {
  const data = useLoaderData<typeof loader>();
  if (!data.document) {
    return (
      <section className="card" aria-labelledby="broken-title">
        <h1 id="broken-title">{data.flow.name}</h1>
        <p className="notice notice--error" role="alert">
          This flow's saved draft cannot be opened on the canvas:
        </p>
        <ul>
          {data.documentIssues.map((i, n) => (
            <li key={n}>
              <code>{i.path || "(document)"}</code>: {i.message}
            </li>
          ))}
        </ul>
        <p>
          <a href={`/flows/${encodeURIComponent(data.flow.id)}/export`}>Download the draft</a> to fix it by hand, then import it from the{" "}
          <Link to="/flows">flow list</Link>.
        </p>
      </section>
    );
  }
  return (
    <Editor
      key={data.flow.id}
      flow={data.flow}
      initialDocument={data.document as FlowDocument}
      initialRevision={data.revision}
      context={data.context as CompileContext}
      initialHistory={data.history as ReadonlyArray<VersionHistoryEntry>}
      workspaceClosed={data.workspaceClosed}
      teamCalendars={data.teamCalendars as ReadonlyArray<TeamCalendarView>}
    />
  );
}

interface EditorProps {
  readonly flow: {
    readonly id: string;
    readonly name: string;
    readonly kind: "bot" | "live_chat";
    readonly enabled: boolean;
    readonly channelName: string | null;
    readonly publishedVersion: number | null;
    readonly publishedHash: string | null;
  };
  readonly initialDocument: FlowDocument;
  readonly initialRevision: number;
  readonly context: CompileContext;
  readonly initialHistory: ReadonlyArray<VersionHistoryEntry>;
  /** The workspace's closed dates and the zone they are read in, for the Availability tab. */
  readonly workspaceClosed: WorkspaceClosedDates;
  /** Every team's hours, for a flow that follows a team's. */
  readonly teamCalendars: ReadonlyArray<TeamCalendarView>;
}

type Notice = { readonly tone: "success" | "error" | "info"; readonly text: string; readonly lines?: ReadonlyArray<string> };

function Editor({ flow, initialDocument, initialRevision, context, initialHistory, workspaceClosed, teamCalendars }: EditorProps) {
  const csrf = useCsrfToken();
  const csrfRef = useRef(csrf);
  csrfRef.current = csrf;
  const base = `/flows/${encodeURIComponent(flow.id)}`;

  const [state, dispatch] = useReducer(editorReducer, initialDocument, initialEditorState);
  const { toggle: analyticsToggle, analytics } = useFlowAnalytics(flow.id, state.document);
  const document = state.document;

  // ---- the compiler, in the browser (in a worker), debounced ----
  // Not during the server render or hydration: on a big flow the first check would hold the
  // canvas back, so it starts once the page is idle ("Checking the flow…" until then).
  const [compiled, setCompiled] = useState<CompileResult | null>(null);
  const compiledFor = useRef<FlowDocument | null>(null);
  useEffect(() => {
    if (compiledFor.current === document) return;
    // A result for a document that has changed since is dropped; the newer one is on its way.
    let stale = false;
    const run = () =>
      void compileInBackground(document, context).then((result) => {
        if (stale) return;
        compiledFor.current = document;
        setCompiled(result);
      });
    let cancel: () => void;
    if (compiledFor.current === null) cancel = whenIdle(run, FIRST_COMPILE_WAIT_MS);
    else {
      const timer = setTimeout(run, COMPILE_DELAY_MS);
      cancel = () => clearTimeout(timer);
    }
    return () => {
      stale = true;
      cancel();
    };
  }, [document, context]);
  const checking = compiled === null;
  const diagnostics = compiled?.diagnostics ?? NO_DIAGNOSTICS;
  const errorCount = diagnostics.filter((d) => d.severity === "error").length;

  // ---- autosave ----
  const [saveStatus, setSaveStatus] = useState<SaveStatus>({ kind: "saved", revision: initialRevision });
  const saverRef = useRef<DraftSaver<FlowDocument> | null>(null);
  if (saverRef.current === null) {
    saverRef.current = new DraftSaver<FlowDocument>({
      revision: initialRevision,
      saved: initialDocument,
      onStatus: setSaveStatus,
      send: async (doc, baseRevision): Promise<SaveResult> => {
        const answer = await fetchJson<{ revision: number }>(`${base}/draft`, { csrf: csrfRef.current, body: { baseRevision, document: doc } });
        if (answer.ok) return { ok: true, revision: answer.data.revision };
        if (answer.status === 409) return { ok: false, kind: "conflict", message: answer.message };
        if (answer.status === 400 || answer.status === 413) {
          const first = answer.issues[0];
          return { ok: false, kind: "invalid", message: first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : answer.message };
        }
        return { ok: false, kind: "failed", message: answer.message };
      },
    });
  }
  const saver = saverRef.current;
  useEffect(() => saver.change(document), [saver, document]);
  useEffect(() => () => saver.dispose(), [saver]);
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (!saver.hasUnsavedChanges()) return;
      event.preventDefault();
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [saver]);
  const conflict = saveStatus.kind === "conflict";

  // ---- tabs, focus, preview ----
  const [tab, setTab] = useState<Tab>("canvas");
  const [visited, setVisited] = useState<ReadonlySet<Tab>>(new Set(["canvas"]));
  const openTab = useCallback((next: Tab) => {
    setTab(next);
    setVisited((v) => (v.has(next) ? v : new Set([...v, next])));
  }, []);
  const [settingsTab, setSettingsTab] = useState<SettingsTab>("targeting");
  const [focusNodeId, setFocusNodeId] = useState<string | null>(null);
  const [previewOpen, setPreviewOpen] = useState(false);
  const [highlightNodeId, setHighlightNodeId] = useState<string | null>(null);

  const nodeNames = useMemo(
    () => new Map(document.nodes.map((n) => [n.id, n.label ? `${n.label}` : `${n.kind} ${n.id}`] as const)),
    [document.nodes],
  );
  const pickDiagnostic = useCallback(
    (d: Diagnostic) => {
      if (d.nodeId !== undefined) {
        openTab("canvas");
        // The canvas re-focuses when the id changes: clear it first so picking the same node twice works.
        setFocusNodeId(null);
        requestAnimationFrame(() => setFocusNodeId(d.nodeId ?? null));
        return;
      }
      const section = settingsTabFor(d.path ?? "");
      if (section) {
        setSettingsTab(section);
        openTab("settings");
      }
    },
    [openTab],
  );

  // ---- published state and publishing ----
  const [history, setHistory] = useState(initialHistory);
  const live = history.find((v) => v.live) ?? null;
  const [notice, setNotice] = useState<Notice | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [draftDiffers, setDraftDiffers] = useState<boolean | null>(null);
  useEffect(() => {
    let cancelled = false;
    if (!live || !compiled?.spec) {
      setDraftDiffers(live ? null : true);
      return;
    }
    void specHash(compiled.spec).then((hash) => {
      if (!cancelled) setDraftDiffers(hash === null ? null : hash !== live.contentHash);
    });
    return () => {
      cancelled = true;
    };
  }, [compiled?.spec, live]);

  const publishBlocked = conflict
    ? "Reload first: this flow was changed elsewhere."
    : checking
      ? CHECKING
      : errorCount > 0
        ? `Fix ${errorCount} error${errorCount === 1 ? "" : "s"} to publish (see Problems below).`
        : null;

  const publish = async () => {
    // The list may be up to 300 ms old: check the document as it is now before publishing it.
    const fresh = compile(document, context);
    compiledFor.current = document;
    setCompiled(fresh);
    if (fresh.diagnostics.some((d) => d.severity === "error")) return;
    setPublishing(true);
    setNotice(null);
    const saved = await saver.flush();
    if (!saved) {
      setPublishing(false);
      setNotice({ tone: "error", text: "The draft could not be saved, so it was not published." });
      return;
    }
    const answer = await fetchJson<{ version: number; unchanged: boolean; history: ReadonlyArray<VersionHistoryEntry> }>(`${base}/publish`, {
      csrf: csrfRef.current,
      body: { revision: saver.current().revision },
    });
    setPublishing(false);
    if (answer.ok) {
      setHistory(answer.data.history);
      setNotice(
        answer.data.unchanged
          ? { tone: "info", text: `Nothing changed since v${answer.data.version}: it stays the live version.` }
          : { tone: "success", text: `Published v${answer.data.version}. New conversations get it; those in progress stay on their version.` },
      );
    } else {
      setNotice({
        tone: "error",
        text: answer.status === 409 ? "This flow was changed in another tab or by someone else — reload to see the latest." : `Not published: ${answer.message}`,
        lines: answer.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)),
      });
    }
  };

  // ---- versions ----
  const [restoring, setRestoring] = useState<string | null>(null);
  const restore = async (entry: VersionHistoryEntry) => {
    setRestoring(entry.id);
    const answer = await fetchJson<{ version: number; spec: FlowSpec }>(`${base}/versions/${encodeURIComponent(entry.id)}`, { csrf: csrfRef.current });
    setRestoring(null);
    if (!answer.ok) {
      setNotice({ tone: "error", text: `v${entry.version} could not be loaded: ${answer.message}` });
      return;
    }
    dispatch({ type: "replaceDocument", document: documentFromSpec(answer.data.spec, document) });
    openTab("canvas");
    setNotice({ tone: "success", text: `Restored v${entry.version} as the draft. Undo brings back what you had; publish to make it live.` });
  };

  // ---- settings and JSON edits ----
  const onSettingsChange = useCallback((settings: unknown, key: string) => dispatch({ type: "setSettings", settings, key }), []);
  const documentRef = useRef(document);
  documentRef.current = document;
  // A calendar (an .ics file's text or a URL) previewed on the server as closed dates the
  // Availability tab's list lacks (decision 052); nothing is stored until the dates are added.
  const readCalendar = useCallback(async (source: CalendarSource, closedDates: ReadonlyArray<unknown>): Promise<CalendarRead> => {
    const body = { ...source, closedDates };
    const answer = await fetchJson<Omit<Extract<CalendarRead, { ok: true }>, "ok">>("/flows/closed-dates-from-calendar", { csrf: csrfRef.current, body });
    if (answer.ok) return { ok: true, ...answer.data };
    const issue = answer.issues[0];
    return { ok: false, status: answer.status, ...(issue?.path ? { path: issue.path } : {}), message: issue?.message ?? answer.message };
  }, []);
  const onLanguageChange = useCallback((language: string) => dispatch({ type: "replaceDocument", document: { ...documentRef.current, language } }), []);
  const onApplyJson = useCallback((next: FlowDocument) => dispatch({ type: "replaceDocument", document: next }), []);
  const prepareSave = useCallback(() => saver.flush(), [saver]);

  const status = live
    ? `Published v${live.version}${flow.enabled && flow.channelName ? ` · live on ${flow.channelName}` : flow.enabled ? " · on no channel" : " · off"}`
    : "Draft · never published";

  return (
    <div className="fb-page">
      <header className="fb-header">
        <div className="fb-title">
          <Link to="/flows" className="fb-back">
            ← Flows
          </Link>
          <h1>{document.name}</h1>
          <span className="badge">{KIND_LABEL[document.kind]}</span>
          <span className={live ? "badge badge--live" : "badge"}>{status}</span>
          {live && draftDiffers ? <span className="badge badge--draft">Draft has unpublished changes</span> : null}
        </div>
        <div className="fb-actions">
          {analyticsToggle}
          <span className={`fb-save fb-save--${saveStatus.kind}`} role="status" aria-live="polite">
            {statusLine(saveStatus)}
          </span>
          <a className="button button--secondary button--small" href={`${base}/export`} download>
            Export
          </a>
          <button type="button" className="button button--secondary button--small" aria-pressed={previewOpen} onClick={() => setPreviewOpen(!previewOpen)}>
            Preview
          </button>
          <button
            type="button"
            className="button button--small"
            onClick={() => void publish()}
            disabled={publishBlocked !== null || publishing}
            aria-describedby={publishBlocked ? "fb-publish-reason" : undefined}
          >
            {publishing ? "Publishing…" : "Publish"}
          </button>
          {publishBlocked ? (
            <span id="fb-publish-reason" className="fb-reason">
              {publishBlocked}
            </span>
          ) : null}
        </div>
      </header>

      {conflict ? (
        <div className="notice notice--error fb-banner" role="alert">
          {statusLine(saveStatus)}{" "}
          <button type="button" className="button button--small" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      ) : null}
      {notice ? (
        <div className={`notice fb-banner ${notice.tone === "success" ? "notice--success" : notice.tone === "error" ? "notice--error" : ""}`} role={notice.tone === "error" ? "alert" : "status"}>
          <span>{notice.text}</span>
          {notice.lines && notice.lines.length > 0 ? (
            <ul>
              {notice.lines.slice(0, 10).map((line, i) => (
                <li key={i}>{line}</li>
              ))}
            </ul>
          ) : null}
          <button type="button" className="fb-dismiss" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      ) : null}

      <div className="fb-tabs" role="tablist" aria-label="Flow editor">
        {TABS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`fb-tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`fb-panel-${id}`}
            className="fb-tab"
            onClick={() => openTab(id)}
          >
            {label}
            {id === "versions" && history.length > 0 ? <span className="fb-tab__count">{history.length}</span> : null}
          </button>
        ))}
      </div>

      <div className="fb-main">
        <div className="fb-panels">
          <div role="tabpanel" id="fb-panel-canvas" aria-labelledby="fb-tab-canvas" className="fb-panel fb-panel--canvas" hidden={tab !== "canvas"}>
            <FlowEditor
              state={state}
              dispatch={dispatch}
              diagnostics={diagnostics}
              context={context}
              highlightNodeId={previewOpen ? highlightNodeId : null}
              analytics={analytics}
              focusNodeId={focusNodeId}
              readOnly={conflict}
            />
          </div>
          {visited.has("settings") ? (
            <div role="tabpanel" id="fb-panel-settings" aria-labelledby="fb-tab-settings" className="fb-panel fb-panel--scroll" hidden={tab !== "settings"}>
              <Suspense fallback={<Loading />}>
                <FlowSettings
                  settings={document.settings}
                  language={document.language}
                  onSettingsChange={onSettingsChange}
                  onLanguageChange={onLanguageChange}
                  teams={context.teams}
                  users={context.users}
                  workspaceClosed={workspaceClosed}
                  teamCalendars={teamCalendars}
                  tab={settingsTab}
                  onTabChange={setSettingsTab}
                  readOnly={conflict}
                  readCalendar={readCalendar}
                />
              </Suspense>
            </div>
          ) : null}
          {visited.has("spec") ? (
            <div role="tabpanel" id="fb-panel-spec" aria-labelledby="fb-tab-spec" className="fb-panel" hidden={tab !== "spec"}>
              {compiled ? (
                <Suspense fallback={<Loading />}>
                  <FlowSpecPanel document={document} compiled={compiled} onApply={onApplyJson} readOnly={conflict} />
                </Suspense>
              ) : (
                <p className="muted" role="status">
                  {CHECKING}
                </p>
              )}
            </div>
          ) : null}
          {visited.has("versions") ? (
            <div role="tabpanel" id="fb-panel-versions" aria-labelledby="fb-tab-versions" className="fb-panel fb-panel--scroll" hidden={tab !== "versions"}>
              <VersionsPanel history={history} onRestore={(entry) => void restore(entry)} restoring={restoring} readOnly={conflict} />
            </div>
          ) : null}
        </div>
        {previewOpen ? (
          <Suspense fallback={<Loading />}>
            <PreviewPane
              flowId={flow.id}
              csrf={csrf}
              prepare={prepareSave}
              blockedReason={
                checking
                  ? CHECKING
                  : errorCount > 0
                    ? `Fix ${errorCount} error${errorCount === 1 ? "" : "s"} to preview the draft.`
                    : conflict
                      ? "Reload first: this flow was changed elsewhere."
                      : null
              }
              onCurrentNode={setHighlightNodeId}
              onClose={() => setPreviewOpen(false)}
            />
          </Suspense>
        ) : null}
      </div>

      <DiagnosticsPanel diagnostics={diagnostics} checking={checking} nodeNames={nodeNames} onPick={pickDiagnostic} />
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
