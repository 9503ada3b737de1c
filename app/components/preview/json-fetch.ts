/**
 * fetch for the builder's JSON resource routes: sends the session's CSRF token, and turns the
 * app's `{"error":{code,message,issues}}` answers into values (never throws for HTTP errors).
 */
import type { DecodeIssue } from "../../runtime.server.js";

export type JsonAnswer<T> =
  | { readonly ok: true; readonly status: number; readonly data: T }
  | {
      readonly ok: false;
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly issues: ReadonlyArray<DecodeIssue>;
    };

/** Calls `url` with a JSON body (or none for GET); network failures come back as status 0. */
export const fetchJson = async <T>(url: string, init: { readonly method?: "GET" | "POST"; readonly body?: unknown; readonly csrf: string }): Promise<JsonAnswer<T>> => {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        Accept: "application/json",
        "X-CSRF-Token": init.csrf,
        ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      credentials: "same-origin",
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch (error) {
    return { ok: false, status: 0, code: "network", message: `the server could not be reached (${error instanceof Error ? error.message : String(error)})`, issues: [] };
  }
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok) return { ok: true, status: response.status, data: payload as T };
  const error = (payload as { error?: { code?: string; message?: string; issues?: DecodeIssue[] } } | null)?.error;
  return {
    ok: false,
    status: response.status,
    code: error?.code ?? `http_${response.status}`,
    message: error?.message ?? (response.status === 401 || response.redirected ? "you are signed out; sign in again" : `the server answered ${response.status}`),
    issues: error?.issues ?? [],
  };
};
