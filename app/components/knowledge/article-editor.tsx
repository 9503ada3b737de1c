/**
 * The fields of an article — title and Markdown body — beside a live preview rendered by the
 * same function as the public help center (renderArticleHtml), so what the author sees is
 * what visitors read. Uncontrolled inputs: the form posts without JavaScript; the preview
 * follows the body as it is typed once the page is hydrated.
 */
import { useMemo, useState } from "react";
import { renderArticleHtml } from "../../../runtime/services/knowledge-markdown.js";
import { Field } from "../field.js";
import { ArticleBody } from "./article-body.js";

export function ArticleFields({
  title,
  body,
  errors,
  readOnly = false,
}: {
  title: string;
  body: string;
  errors: Record<string, string>;
  readOnly?: boolean;
}) {
  const [draft, setDraft] = useState(body);
  const html = useMemo(() => renderArticleHtml(draft), [draft]);
  return (
    <>
      <Field id="article-title" label="Title" error={errors.title}>
        {(props) => <input {...props} name="title" defaultValue={title} maxLength={200} required autoComplete="off" readOnly={readOnly} />}
      </Field>
      <div className="article-editor">
        <Field
          id="article-body"
          label="Article (Markdown)"
          error={errors.body}
          hint="**bold**, *italic*, # headings, - lists, [link text](https://…). HTML is shown as text."
        >
          {(props) => (
            <textarea {...props} name="body" defaultValue={body} onChange={(event) => setDraft(event.currentTarget.value)} readOnly={readOnly} />
          )}
        </Field>
        <section className="card article-editor__preview" aria-labelledby="article-preview-title">
          <h2 id="article-preview-title" className="article-editor__preview-title">
            Preview
          </h2>
          {draft.trim() === "" ? <p className="muted">The article’s text shows here as visitors will read it.</p> : <ArticleBody html={html} />}
        </section>
      </div>
    </>
  );
}
