/**
 * /settings/audit.csv?<the page's filters> (admins) — the audit log's lines as CSV, newest
 * first, at most AUDIT_CSV_MAX of them (the header says when there were more: narrow the days).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { auditDetails, auditTarget, auditVia, auditWho } from "../components/settings/audit-text.js";
import { toCsv } from "../csv.js";
import { access } from "../roles.js";
import { Accounts, AuditLog, auditQueryFrom, run, type AuditEntry } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const AUDIT_CSV_MAX = 10_000;
const PAGE = 500;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const filter = auditQueryFrom(new URL(request.url).searchParams);
  delete filter["before"];
  delete filter["limit"];
  const entries: AuditEntry[] = [];
  let before: string | null = null;
  let more = false;
  do {
    const page = await run(context, Effect.flatMap(AuditLog, (log) => log.list(user, { ...filter, limit: String(PAGE), ...(before ? { before } : {}) })));
    entries.push(...page.entries);
    before = page.next;
    more = before !== null && entries.length >= AUDIT_CSV_MAX;
  } while (before !== null && !more);
  const users = await run(context, Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })));
  const names = new Map(users.map((u) => [u.id, u.name]));
  const rows = entries.slice(0, AUDIT_CSV_MAX).map((e) => [
    new Date(e.at).toISOString(),
    auditWho(e),
    e.actor?.email ?? "",
    e.action,
    e.label,
    e.target ? auditTarget(e.target) : "",
    e.target?.id ?? "",
    auditDetails(e.data, names),
    auditVia(e),
  ]);
  const csv = toCsv({
    columns: [
      { label: "Time (UTC)" },
      { label: "Who" },
      { label: "Email" },
      { label: "Action" },
      { label: "What" },
      { label: "Target" },
      { label: "Target id" },
      { label: "Details" },
      { label: more ? `From (the first ${AUDIT_CSV_MAX} lines only: narrow the days for the rest)` : "From" },
    ],
    rows,
  });
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="parley-audit-log-${new Date().toISOString().slice(0, 10)}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
