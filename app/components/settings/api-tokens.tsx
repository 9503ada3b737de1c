/**
 * Personal access tokens (the REST API's keys, docs/api.md "REST API (v1)"): on "Your profile"
 * a person makes a named token, sees it once with a copy button, lists and revokes theirs; on
 * an admin's page for someone, the admin lists and revokes that person's. The actions live in
 * api-tokens.server.ts.
 */
import { Form, useNavigation } from "@remix-run/react";
import type { ApiTokenSummary } from "../../runtime.server.js";
import { CopyButton } from "../copy-button.js";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { Time } from "../inbox/time.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "./notices.js";

/** The expiries offered, as the ApiTokens service takes them. */
const EXPIRIES = [
  ["never", "Never"],
  ["30", "In 30 days"],
  ["90", "In 90 days"],
  ["365", "In a year"],
] as const;

/** What the section's last action answered (api-tokens.server.ts), or anything else the page's action answered. */
export interface ApiTokenResult {
  readonly intent: string | null;
  readonly errors: Readonly<Record<string, string>> | null;
  readonly values: Readonly<Record<string, string>> | null;
  readonly saved: boolean;
  readonly token?: { readonly value: string; readonly name: string } | null;
}

/**
 * The section: the token just made (once), the form to make one (`own` only: a token acts as
 * whoever made it), and the list with a Revoke button each. `whose` names the person for an admin.
 */
export function ApiTokensSection({
  tokens,
  result,
  own,
  whose,
  now,
}: {
  tokens: ReadonlyArray<ApiTokenSummary>;
  result: ApiTokenResult | undefined;
  own: boolean;
  whose?: string;
  now: number;
}) {
  const navigation = useNavigation();
  const sending = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const created = result?.intent === "create-token" && result.saved ? result.token : null;
  const createErrors = result?.intent === "create-token" ? (result.errors ?? {}) : {};
  const values = result?.intent === "create-token" ? result.values : null;
  return (
    <section className="card" aria-labelledby="api-tokens-title">
      <h2 id="api-tokens-title">API tokens</h2>
      <p className="muted">
        {own
          ? "Tokens let an integration (a CRM sync, a script) use Parley’s REST API as you, with your role and your inboxes. Treat them like a password."
          : `Tokens ${whose ?? "this person"} made for integrations. Each one acts as them; revoke one that should no longer work.`}
      </p>
      {created ? (
        <div className="notice notice--success" role="status">
          <p>
            Your new token “{created.name}”. Copy it now: it is not shown again.
          </p>
          <p>
            <code aria-label="New API token" style={{ overflowWrap: "anywhere" }}>
              {created.value}
            </code>{" "}
            <CopyButton text={created.value} label="Copy token" />
          </p>
        </div>
      ) : null}
      <SavedNotice show={result?.intent === "revoke-token" && result.saved}>The token is revoked: it no longer works.</SavedNotice>
      <ErrorNotice message={result?.intent === "revoke-token" ? result.errors?.form : undefined} />
      {tokens.length === 0 ? (
        <p className="muted">{own ? "You have no tokens." : "No tokens."}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Token</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>
                  <Time at={token.createdAt} now={now} style="full" />
                </td>
                <td>{token.lastUsedAt === null ? <span className="muted">Never</span> : <Time at={token.lastUsedAt} now={now} style="ago" />}</td>
                <td>
                  {token.expiresAt === null ? (
                    <span className="muted">Never</span>
                  ) : token.expiresAt <= now ? (
                    <span className="badge">Expired</span>
                  ) : (
                    <Time at={token.expiresAt} now={now} style="full" />
                  )}
                </td>
                <td>
                  <Form method="post">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="revoke-token" />
                    <input type="hidden" name="tokenId" value={token.id} />
                    <button type="submit" className="button button--secondary button--small" aria-label={`Revoke the token ${token.name}`}>
                      Revoke
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {own ? (
        <Form method="post" className="form" key={created ? created.value : "form"}>
          <h3>New token</h3>
          <CsrfInput />
          <input type="hidden" name="intent" value="create-token" />
          <ErrorNotice message={createErrors.form} />
          <Field id="api-token-name" label="Name" error={createErrors.name} hint="What it is for, e.g. “CRM sync”.">
            {(props) => <input {...props} name="name" maxLength={100} required defaultValue={values?.name ?? ""} />}
          </Field>
          <Field id="api-token-expiry" label="Expires" error={createErrors.expiresIn}>
            {(props) => (
              <select {...props} name="expiresIn" defaultValue={values?.expiresIn ?? "90"}>
                {EXPIRIES.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <SubmitActions busy={sending === "create-token"} label="Create token" busyLabel="Creating…" />
        </Form>
      ) : null}
    </section>
  );
}
