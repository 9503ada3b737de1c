/**
 * The flow list's loader data and its one action (one intent per form), over the Chatflows
 * service. Every form is decoded with the Schemas in list-forms.ts — the same the browser
 * checks with — and the service's own checks stay the authority.
 */
import { redirect, type AppLoadContext } from "@remix-run/node";
import { Effect, Either } from "effect";
import { randomBytes } from "node:crypto";
import type { DecodeIssue } from "../../../flows/decode.js";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { awayAt, formatOpening, servedAvailability } from "../../../flows/availability.js";
import type { Availability } from "../../../flows/flow-spec.js";
import { formatSpecialHours } from "../../components/reports/format.js";
import { attempt, ChannelDirectory, Chatflows, Reports, run, type ChatflowOverview, type User } from "../../runtime.server.js";
import { asNewDraft, issueLines, MAX_IMPORT_BYTES, parseFlowFile } from "./import-flow.js";
import {
  CreateFlowForm,
  decodeForm,
  dropBefore,
  FlowIdForm,
  issuesByField,
  MoveFlowForm,
  moveId,
  RenameFlowForm,
  DropFlowForm,
  ToggleFlowForm,
} from "./list-forms.js";
import { flowTemplates, findTemplate } from "./templates.server.js";

/** A row of the list as the page shows it. */
export interface FlowListItem {
  readonly id: string;
  readonly name: string;
  readonly kind: "bot" | "live_chat";
  readonly enabled: boolean;
  readonly priority: number;
  readonly publishedVersion: number | null;
  readonly channelName: string | null;
  readonly conversations: number;
  readonly updatedAt: number;
  /**
   * Why a flow that is on and live is away right now, as its widget would find it: "closed date
   * (Christmas Day); opens again Mon 28 December at 09:00 (Europe/Berlin)"; null when it is open,
   * off, or not published.
   */
  readonly awayNow: string | null;
}

/**
 * The reason a live flow's availability (as served) gives for being away at `now`, in words;
 * null when open. `team` names the team whose hours the flow follows. Pure apart from time-zone data.
 */
export const awayNowText = (availability: Availability, now: number, team?: string): string | null => {
  const away = awayAt(availability, now);
  if (away === null) return null;
  const whose = team === undefined ? "" : ` of team ${team}`;
  const why = away.closed !== undefined
    ? `closed date${away.closed.name ? ` (${away.closed.name})` : ""}${whose}`
    : away.special !== undefined
    ? `special hours${away.special.name ? ` (${away.special.name})` : ""}${whose}, ${formatSpecialHours(away.special.hours ?? [])}`
    : team === undefined ? "outside its hours" : `outside the hours of team ${team}`;
  return away.opensAt === null ? `${why}; its hours never open` : `${why}; opens again ${formatOpening(availability.timezone, away.opensAt)} (${availability.timezone})`;
};

const toItem = (o: ChatflowOverview, awayNow: string | null): FlowListItem => ({
  id: o.chatflow.id,
  name: o.chatflow.name,
  kind: o.chatflow.kind,
  enabled: o.chatflow.enabled,
  priority: o.chatflow.priority,
  publishedVersion: o.publishedVersion,
  channelName: o.channelName,
  conversations: o.conversations,
  updatedAt: o.chatflow.updatedAt,
  awayNow,
});

/** What the list page shows: the flows in priority order, the chat channels, the templates. */
export const loadFlowList = (context: AppLoadContext) =>
  run(
    context,
    Effect.gen(function* () {
      const chatflows = yield* Chatflows;
      const flows = yield* chatflows.overview();
      const channels = (yield* (yield* ChannelDirectory).list()).filter((c) => c.kind === "chat" || c.kind === "messenger");
      // Whether each flow that is on and live is away now, as the widget config decides it (its
      // own closed dates, the workspace's when it follows them, or the hours of the team it
      // follows); versions are cached per process.
      const workspaceClosed = (yield* (yield* Reports).businessHours()).closed ?? [];
      const teams = new Map((yield* chatflows.teamCalendars()).map((t) => [t.teamId, t] as const));
      const calendars = { workspaceClosed, teamSchedule: (teamId: string) => teams.get(teamId)?.schedule ?? null };
      const now = Date.now();
      const awayText = (availability: Availability) =>
        awayNowText(servedAvailability(availability, calendars), now, availability.mode === "team" ? teams.get(availability.teamId ?? "")?.name : undefined);
      const awayNow = (o: ChatflowOverview) =>
        o.chatflow.enabled && o.chatflow.publishedVersionId !== null
          ? Effect.map(
              Effect.option(chatflows.getVersion(o.chatflow.publishedVersionId)),
              (version) => (version._tag === "Some" ? awayText(version.value.spec.settings.availability) : null),
            )
          : Effect.succeed(null);
      const items = yield* Effect.forEach(flows, (o) => Effect.map(awayNow(o), (away) => toItem(o, away)));
      return {
        flows: items,
        channels: channels.map((c) => ({ id: c.id, name: c.name, kind: c.kind })),
        templates: flowTemplates.map((t) => ({ id: t.id, name: t.name, kind: t.kind, nodes: t.nodes })),
      };
    }),
  );

/** The answer of a list action that stays on the page. */
export interface ListActionResult {
  readonly intent: string;
  /** Messages by field (`form` for the rest). */
  readonly errors?: Readonly<Record<string, string>>;
  /** An import's problems, one `path: message` line each. */
  readonly importErrors?: ReadonlyArray<string>;
  readonly values?: Readonly<Record<string, string>>;
  readonly notice?: string;
  /** Which row the answer is about (its rename or delete form stays open on error). */
  readonly id?: string;
}

const newChatflowId = () => `flow_${randomBytes(12).toString("base64url")}`;
const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};
const fields = (form: FormData, names: ReadonlyArray<string>) => Object.fromEntries(names.map((n) => [n, text(form, n)]));

const failed = (intent: string, issues: ReadonlyArray<DecodeIssue>, extra: Partial<ListActionResult> = {}): ListActionResult => ({
  intent,
  errors: issuesByField(issues),
  ...extra,
});

/**
 * Runs one list action. Returns a redirect (to the new flow) or a result for the page; the
 * HTTP status goes with it (400 for invalid forms, 404/409 from the service).
 */
export const handleListAction = async (
  request: Request,
  context: AppLoadContext,
  user: User,
): Promise<Response | { readonly result: ListActionResult; readonly status: number }> => {
  const length = Number(request.headers.get("Content-Length") ?? "0");
  if (length > MAX_IMPORT_BYTES + 64 * 1024) {
    return { result: { intent: "import", importErrors: [`the file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`] }, status: 413 };
  }
  const form = await request.formData();
  const intent = text(form, "intent");
  const service = <A, E>(f: (flows: Effect.Effect.Success<typeof Chatflows>) => Effect.Effect<A, E>) =>
    attempt(context, Effect.flatMap(Chatflows, f));

  switch (intent) {
    case "create": {
      const values = fields(form, ["name", "startFrom", "channelId"]);
      const decoded = decodeForm(CreateFlowForm)(values);
      if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left, { values }), status: 400 };
      const { name, startFrom, channelId } = decoded.right;
      const id = newChatflowId();
      let document: FlowDocument | undefined;
      let kind: "bot" | "live_chat";
      if (startFrom.startsWith("template:")) {
        const template = findTemplate(startFrom.slice("template:".length));
        if (!template) return { result: failed(intent, [{ path: "startFrom", message: "that template does not exist" }], { values }), status: 400 };
        document = asNewDraft(template.document, id, name);
        kind = template.kind;
      } else {
        kind = startFrom === "blank:live_chat" ? "live_chat" : "bot";
      }
      const created = await service((flows) =>
        flows.create({ id, name, kind, createdBy: user.id, ...(document ? { document } : {}), ...(channelId ? { channelId } : {}) }),
      );
      if (!created.ok) {
        const errors = created.cause._tag === "NotFound" ? { channelId: created.error.message } : issuesByField(created.error.issues ?? [{ path: "form", message: created.error.message }]);
        return { result: { intent, errors, values }, status: created.status };
      }
      return redirect(`/flows/${encodeURIComponent(id)}`);
    }

    case "import": {
      const file = form.get("file");
      const channelId = text(form, "channelId");
      if (!(file instanceof File) || file.size === 0) {
        return { result: { intent, importErrors: ["choose a flow file (.json) to import"] }, status: 400 };
      }
      if (file.size > MAX_IMPORT_BYTES) {
        return { result: { intent, importErrors: [`the file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`] }, status: 413 };
      }
      const parsed = parseFlowFile(await file.text());
      if (Either.isLeft(parsed)) return { result: { intent, importErrors: issueLines(parsed.left) }, status: 400 };
      const id = newChatflowId();
      const document = asNewDraft(parsed.right, id);
      const created = await service((flows) =>
        flows.create({ id, name: document.name, kind: document.kind, document, createdBy: user.id, ...(channelId ? { channelId } : {}) }),
      );
      if (!created.ok) return { result: { intent, importErrors: issueLines(created.error.issues ?? [{ path: "", message: created.error.message }]) }, status: created.status };
      return redirect(`/flows/${encodeURIComponent(id)}`);
    }

    case "rename": {
      const values = fields(form, ["id", "name"]);
      const decoded = decodeForm(RenameFlowForm)(values);
      if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left, { values, id: values.id }), status: 400 };
      const renamed = await service((flows) => flows.rename(decoded.right.id, decoded.right.name));
      if (!renamed.ok) return { result: { intent, errors: { name: renamed.error.message }, values, id: values.id }, status: renamed.status };
      return { result: { intent, notice: `Renamed to “${renamed.value.name}”.` }, status: 200 };
    }

    case "duplicate": {
      const decoded = decodeForm(FlowIdForm)(fields(form, ["id"]));
      if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left), status: 400 };
      const copy = await service((flows) => flows.duplicate(decoded.right.id, { createdBy: user.id }));
      if (!copy.ok) return { result: { intent, errors: { form: copy.error.message } }, status: copy.status };
      return { result: { intent, notice: `Duplicated as “${copy.value.name}” (off until you publish and turn it on).`, id: copy.value.id }, status: 200 };
    }

    case "delete": {
      const decoded = decodeForm(FlowIdForm)(fields(form, ["id"]));
      if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left), status: 400 };
      const before = await service((flows) => flows.get(decoded.right.id));
      if (!before.ok) return { result: { intent, errors: { form: before.error.message } }, status: before.status };
      const removed = await service((flows) => flows.remove(decoded.right.id));
      if (!removed.ok) return { result: { intent, errors: { form: removed.error.message } }, status: removed.status };
      const name = before.value.name;
      return {
        result: {
          intent,
          notice:
            removed.value.outcome === "deleted"
              ? `Deleted “${name}”.`
              : `Archived “${name}”: it had conversations, which stay in the inbox and in reports. It no longer shows on your website.`,
        },
        status: 200,
      };
    }

    case "toggle": {
      const decoded = decodeForm(ToggleFlowForm)(fields(form, ["id", "enabled"]));
      if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left), status: 400 };
      const toggled = await service((flows) => flows.setEnabled(decoded.right.id, decoded.right.enabled === "on"));
      if (!toggled.ok) return { result: { intent, errors: { form: toggled.error.message } }, status: toggled.status };
      const row = toggled.value;
      return {
        result: {
          intent,
          notice: row.enabled
            ? row.publishedVersionId === null
              ? `“${row.name}” is on, but visitors see it only once it is published.`
              : `“${row.name}” is on.`
            : `“${row.name}” is off.`,
        },
        status: 200,
      };
    }

    case "move":
    case "reorder": {
      const current = await service((flows) => flows.list());
      if (!current.ok) return { result: { intent, errors: { form: current.error.message } }, status: current.status };
      const ids = current.value.map((r) => r.id);
      let order: ReadonlyArray<string>;
      let moved: string;
      if (intent === "move") {
        const decoded = decodeForm(MoveFlowForm)(fields(form, ["id", "direction"]));
        if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left), status: 400 };
        moved = decoded.right.id;
        order = moveId(ids, moved, decoded.right.direction);
      } else {
        const decoded = decodeForm(DropFlowForm)(fields(form, ["moved", "before"]));
        if (Either.isLeft(decoded)) return { result: failed(intent, decoded.left), status: 400 };
        moved = decoded.right.moved;
        order = dropBefore(ids, moved, decoded.right.before || null);
      }
      // The flow moved names the audit line's flow (two neighbours swapped read either way otherwise).
      const reordered = await service((flows) => flows.reorder(order, moved));
      if (!reordered.ok) return { result: { intent, errors: { form: reordered.error.message } }, status: reordered.status };
      return { result: { intent, notice: "Order saved: the first flow that matches a page wins." }, status: 200 };
    }

    default:
      return { result: { intent, errors: { form: `unknown action "${intent}"` } }, status: 400 };
  }
};
