import { useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "../root.js";

/** The signed-in session's CSRF token, for headers of `fetch` mutations (`X-CSRF-Token`). */
export function useCsrfToken(): string {
  return useRouteLoaderData<typeof rootLoader>("root")?.csrfToken ?? "";
}

/** The hidden field every mutating form carries; `requireUser` refuses a mutation without it (403). */
export function CsrfInput() {
  return <input type="hidden" name="csrf" value={useCsrfToken()} />;
}
