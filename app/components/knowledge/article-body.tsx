/**
 * An article rendered from its Markdown (renderArticleHtml: markdown-it with raw HTML off and
 * unsafe links refused), as the editor's preview and the help center show it.
 */
export function ArticleBody({ html, id, label }: { html: string; id?: string; label?: string }) {
  return <div className="article-body" id={id} aria-label={label} dangerouslySetInnerHTML={{ __html: html }} />;
}
