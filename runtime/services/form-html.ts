/**
 * The HTML a form channel hands out: the copy-paste snippets for a site (a plain <form> and a
 * small fetch() variant) and the small pages a plain HTML post lands on (thanks, or what was
 * wrong). Every value from an admin or a visitor is escaped. Pure.
 */
import type { DecodeIssue } from "../../flows/decode.js";
import { HONEYPOT_KEY, type FormConfig, type FormField } from "./form-settings.js";

/** Text safe inside HTML content and double-quoted attributes. Pure. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const inputFor = (field: FormField): string => {
  const id = `parley-${field.key}`;
  const common = `id="${escapeHtml(id)}" name="${escapeHtml(field.key)}"${field.required ? " required" : ""}`;
  const label = `  <label for="${escapeHtml(id)}">${escapeHtml(field.label)}</label>\n`;
  switch (field.type) {
    case "textarea":
      return `${label}  <textarea ${common} rows="5" maxlength="10000"></textarea>\n`;
    case "select":
      return (
        `${label}  <select ${common}>\n` +
        `    <option value="">Choose…</option>\n` +
        field.options.map((o) => `    <option>${escapeHtml(o)}</option>\n`).join("") +
        `  </select>\n`
      );
    case "email":
      return `${label}  <input type="email" ${common} autocomplete="email" maxlength="254">\n`;
    case "phone":
      return `${label}  <input type="tel" ${common} autocomplete="tel" placeholder="+1 555 123 4567">\n`;
    case "text":
      return `${label}  <input type="text" ${common} maxlength="1000">\n`;
  }
};

// Off-screen rather than display:none: some bots skip fields that are plainly hidden.
const honeypot =
  `  <div style="position:absolute;left:-10000px" aria-hidden="true">\n` +
  `    <label>Leave this empty <input type="text" name="${HONEYPOT_KEY}" tabindex="-1" autocomplete="off"></label>\n` +
  `  </div>\n`;

/** A plain HTML form posting to `actionUrl`: one input per field and the hidden honeypot. Pure. */
export const htmlSnippet = (config: FormConfig, actionUrl: string): string =>
  `<form action="${escapeHtml(actionUrl)}" method="post">\n` +
  config.fields.map(inputFor).join("") +
  honeypot +
  `  <button type="submit">Send</button>\n` +
  `</form>\n`;

/**
 * The same form sent with fetch() as JSON, showing the success message or the first error in
 * place. Its site's origin must be in the channel's allowed origins. Pure.
 */
export const jsSnippet = (config: FormConfig, actionUrl: string): string =>
  htmlSnippet(config, actionUrl).replace("<form ", '<form id="parley-form" ') +
  `<p id="parley-form-status" role="status"></p>\n` +
  `<script>\n` +
  `  document.getElementById("parley-form").addEventListener("submit", async (event) => {\n` +
  `    event.preventDefault();\n` +
  `    const form = event.currentTarget;\n` +
  `    const status = document.getElementById("parley-form-status");\n` +
  `    const fields = Object.fromEntries(new FormData(form));\n` +
  `    try {\n` +
  `      const response = await fetch(${JSON.stringify(actionUrl)}, {\n` +
  `        method: "POST",\n` +
  `        headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },\n` +
  `        body: JSON.stringify({ fields, pageUrl: location.href }),\n` +
  `      });\n` +
  `      const answer = await response.json();\n` +
  `      if (response.ok) { form.reset(); status.textContent = answer.message; }\n` +
  `      else status.textContent = answer.error.message;\n` +
  `    } catch {\n` +
  `      status.textContent = "Could not send the form. Please try again.";\n` +
  `    }\n` +
  `  });\n` +
  `</script>\n`;

const page = (title: string, body: string): string =>
  `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
  `<title>${escapeHtml(title)}</title>\n` +
  `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem}li{margin:.25rem 0}</style>\n` +
  `</head>\n<body>\n${body}</body>\n</html>\n`;

/** The page a plain HTML post lands on after success (no redirect URL set). Pure. */
export const thankYouPage = (message: string, backUrl: string | null): string =>
  page(
    "Thank you",
    `<h1>Thank you</h1>\n<p>${escapeHtml(message)}</p>\n` + (backUrl ? `<p><a href="${escapeHtml(backUrl)}">Back to the page</a></p>\n` : ""),
  );

/**
 * The page a plain HTML post lands on when it was refused: what went wrong (by field label
 * where there is one) and a link back. Pure.
 */
export const errorPage = (title: string, issues: ReadonlyArray<DecodeIssue>, labels: ReadonlyMap<string, string>, backUrl: string | null): string => {
  const items = issues
    .map((issue) => {
      const key = issue.path.startsWith("fields.") ? issue.path.slice("fields.".length) : "";
      const label = labels.get(key) ?? key;
      return `  <li>${label ? `<strong>${escapeHtml(label)}</strong>: ` : ""}${escapeHtml(issue.message)}</li>\n`;
    })
    .join("");
  // No script link without a page to go to: the page's CSP runs no script, so say it in words.
  const back = backUrl ? `<a href="${escapeHtml(backUrl)}">Go back to the form</a>` : "Use your browser’s Back button to return to the form.";
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<ul>\n${items}</ul>\n<p>${back}</p>\n`);
};
