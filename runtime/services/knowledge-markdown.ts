/**
 * How a knowledge-base article's Markdown becomes HTML and plain text: ONE markdown-it setup
 * for the editor's live preview, the public help center and the search excerpts, so what a
 * marketer previews is what a visitor reads. Pure; safe on the client.
 *
 * Safety comes from markdown-it itself (docs/decisions/021-knowledge-base.md): `html: false`
 * turns raw HTML (<script>, <iframe>, on* attributes) into escaped text, and its validateLink
 * refuses javascript:, vbscript:, file: and non-image data: URLs, leaving such a link as text.
 * External links open with rel="noopener noreferrer".
 */
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

/** True for an absolute http(s) or protocol-relative address: another site. Pure. */
const isExternal = (href: string): boolean => /^(https?:)?\/\//i.test(href);

const defaultLinkOpen: NonNullable<typeof markdown.renderer.rules.link_open> = (tokens, idx, options, _env, self) =>
  self.renderToken(tokens, idx, options);
const linkOpen = markdown.renderer.rules.link_open ?? defaultLinkOpen;
markdown.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  if (isExternal(String(token.attrGet("href") ?? ""))) token.attrSet("rel", "noopener noreferrer");
  return linkOpen(tokens, idx, options, env, self);
};

/** An article's Markdown as HTML, safe to insert into a page. Pure. */
export const renderArticleHtml = (body: string): string => markdown.render(body);

/** An article's Markdown as plain text, one space between blocks, no Markdown syntax. Pure. */
export const articlePlainText = (body: string): string => {
  const parts: string[] = [];
  for (const token of markdown.parse(body, {})) {
    if (token.type === "inline") {
      for (const child of token.children ?? []) {
        if (child.type === "text" || child.type === "code_inline") parts.push(child.content);
        else if (child.type === "softbreak" || child.type === "hardbreak") parts.push(" ");
        else if (child.type === "image") parts.push(child.content);
      }
      parts.push(" ");
    } else if (token.type === "code_block" || token.type === "fence") {
      parts.push(token.content, " ");
    }
  }
  return parts.join("").replace(/\s+/g, " ").trim();
};
