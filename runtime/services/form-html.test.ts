import { describe, expect, it } from "vitest";
import { errorPage, escapeHtml, htmlSnippet, jsSnippet, thankYouPage } from "./form-html.js";
import type { FormConfig } from "./form-settings.js";

const config: FormConfig = {
  fields: [
    { key: "name", label: "Name <you>", type: "text", required: true, options: [] },
    { key: "email", label: "Email", type: "email", required: false, options: [] },
    { key: "phone", label: "Phone", type: "phone", required: false, options: [] },
    { key: "plan", label: "Plan", type: "select", required: true, options: ["Free", "Pro & more"] },
    { key: "note", label: "Note", type: "textarea", required: false, options: [] },
  ],
  contact: { email: "email", name: "name", phone: "phone" },
  subject: "",
  priority: "normal",
  successMessage: "Thanks",
  redirectUrl: "",
  allowedOrigins: [],
};
const url = "https://parley.example.com/api/forms/chan_1/submissions";

describe("snippets", () => {
  it("the HTML form posts to the endpoint with one escaped control per field and the honeypot", () => {
    const html = htmlSnippet(config, url);
    expect(html.startsWith(`<form action="${url}" method="post">`)).toBe(true);
    expect(html).toContain('<label for="parley-name">Name &lt;you&gt;</label>');
    expect(html).toContain('<input type="text" id="parley-name" name="name" required maxlength="1000">');
    expect(html).toContain('<input type="email" id="parley-email" name="email" autocomplete="email" maxlength="254">');
    expect(html).toContain('<input type="tel" id="parley-phone" name="phone"');
    expect(html).toContain("<option>Pro &amp; more</option>");
    expect(html).toContain('<textarea id="parley-note" name="note" rows="5" maxlength="10000"></textarea>');
    expect(html).toContain('name="_hp" tabindex="-1"');
    expect(html.trim().endsWith("</form>")).toBe(true);
  });

  it("the JavaScript variant posts JSON with an idempotency key to the same URL", () => {
    const js = jsSnippet(config, url);
    expect(js).toContain('<form id="parley-form" action=');
    expect(js).toContain(`fetch("${url}"`);
    expect(js).toContain('"Idempotency-Key": crypto.randomUUID()');
    expect(js).toContain("JSON.stringify({ fields, pageUrl: location.href })");
  });
});

describe("pages", () => {
  it("escape every value they show", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const thanks = thankYouPage("<b>Thanks</b>", 'https://a.example/"x"');
    expect(thanks).toContain("<p>&lt;b&gt;Thanks&lt;/b&gt;</p>");
    expect(thanks).toContain('href="https://a.example/&quot;x&quot;"');
    const error = errorPage("Please check the form", [{ path: "fields.name", message: "<i>required</i>" }, { path: "", message: "too big" }], new Map([["name", "Name <you>"]]), null);
    expect(error).toContain("<li><strong>Name &lt;you&gt;</strong>: &lt;i&gt;required&lt;/i&gt;</li>");
    expect(error).toContain("<li>too big</li>");
    expect(error).toContain("Use your browser’s Back button");
    expect(error).not.toContain("javascript:");
    expect(errorPage("t", [], new Map(), "https://a.example/form")).toContain('<a href="https://a.example/form">Go back to the form</a>');
  });
});
