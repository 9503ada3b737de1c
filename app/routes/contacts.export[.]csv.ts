/**
 * /contacts/export.csv — the contacts the /contacts filters select (search, owner, list), as CSV:
 * id, name, email, phone, owner, lists, created, last activity, then one column per contact
 * property. Streamed page by page (ContactCsv.exportPage, a keyset by creation), so a hundred
 * thousand contacts never sit in memory as one string. Cells are defused for spreadsheets (app/csv.ts).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { CSV_BOM, csvLine } from "../csv.js";
import { access } from "../roles.js";
import { ContactCsv, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

const FILTER_KEYS = ["owner", "list", "search"] as const;

const iso = (ms: number) => new Date(ms).toISOString();

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const params = new URL(request.url).searchParams;
  const filter: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value !== null && value.trim() !== "") filter[key] = value;
  }
  // A bad filter is refused (400) here, before the first byte goes out.
  const properties = await run(context, Effect.flatMap(ContactCsv, (csv) => csv.exportProperties(user, filter)));
  const encoder = new TextEncoder();
  let after: string | null = null;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          controller.enqueue(
            encoder.encode(CSV_BOM + csvLine(["id", "name", "email", "phone", "owner", "lists", "created", "last activity", ...properties])),
          );
        }
        const page = await run(context, Effect.flatMap(ContactCsv, (csv) => csv.exportPage(user, filter, after)));
        let chunk = "";
        for (const c of page.rows) {
          chunk += csvLine([
            c.id,
            c.name ?? "",
            c.email ?? "",
            c.phone ?? "",
            c.owner ?? "",
            c.lists.join("; "),
            iso(c.createdAt),
            iso(c.lastActivityAt),
            ...properties.map((p) => c.properties[p] ?? ""),
          ]);
        }
        if (chunk !== "") controller.enqueue(encoder.encode(chunk));
        after = page.next;
        if (after === null) controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
  });
  const day = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="parley-contacts-${day}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
