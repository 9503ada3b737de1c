/**
 * "Insert article" in the inbox composer: a disclosure with a search over the published
 * articles (GET /knowledge/pick, the help center's search) and a button per article that hands
 * "Title: https://…/help/articles/…" to the composer. It lives inside the composer's form, so
 * it has no form of its own: Enter in its search box searches instead of sending the reply.
 */
import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";
// A side-effect import, unlike the app's `?url` links: the composer is drawn by inbox routes this
// feature does not own, and Remix adds the stylesheet to whichever route renders the picker.
import "./article-picker.css";

interface Picked {
  readonly articles: ReadonlyArray<{ readonly id: string; readonly title: string; readonly url: string }>;
}

/** The line an article becomes in a reply. Pure. */
export const articleLine = (article: { readonly title: string; readonly url: string }): string => `${article.title}: ${article.url}`;

export function ArticlePicker({ onPick, disabled = false }: { onPick: (line: string) => void; disabled?: boolean }) {
  const fetcher = useFetcher<Picked>();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const detailsRef = useRef<HTMLDetailsElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const load = fetcher.load;

  // Searching follows the typing, a moment after it stops.
  useEffect(() => {
    if (!open) return;
    const timer = setTimeout(() => load(`/knowledge/pick?q=${encodeURIComponent(query)}`), 200);
    return () => clearTimeout(timer);
  }, [open, query, load]);

  const articles = fetcher.data?.articles ?? [];
  const close = () => {
    if (detailsRef.current) detailsRef.current.open = false;
    setOpen(false);
  };
  return (
    <details
      ref={detailsRef}
      className="article-picker"
      onToggle={(event) => {
        const nowOpen = event.currentTarget.open;
        setOpen(nowOpen);
        if (nowOpen) searchRef.current?.focus();
      }}
    >
      <summary className="button button--secondary button--small" aria-disabled={disabled || undefined}>
        Insert article
      </summary>
      <div className="article-picker__panel">
        <label htmlFor={`${id}-search`}>Search published articles</label>
        <input
          ref={searchRef}
          id={`${id}-search`}
          type="search"
          value={query}
          maxLength={200}
          autoComplete="off"
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") event.preventDefault();
            if (event.key === "Escape") close();
          }}
        />
        {fetcher.data === undefined ? (
          <p className="muted">Loading…</p>
        ) : articles.length === 0 ? (
          <p className="muted" role="status">
            {query.trim() === "" ? "No published articles yet." : "No published article matches."}
          </p>
        ) : (
          <ul className="article-picker__list" aria-label="Articles">
            {articles.map((article) => (
              <li key={article.id}>
                <button
                  type="button"
                  className="article-picker__choice"
                  disabled={disabled}
                  onClick={() => {
                    onPick(articleLine(article));
                    close();
                  }}
                >
                  {article.title}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}
