/**
 * Which action on the flow list the page's messages belong to. A message (a name the browser
 * refused, the server's error or notice) stays only while the person is on the action that
 * caused it; once they start another one (submit, open or edit another form, drag a row), it
 * goes. Without JavaScript nothing here runs, and the page shows the server's answer as it is.
 * Pure, but for formActionKey, which reads a form in the DOM.
 */

/** An answer of the list's action: which action it answers (its intent, and the flow when it names one). */
export interface Answer {
  readonly intent: string;
  readonly id?: string | undefined;
}

/** What the person is doing on the flow list now, and which answers are left over from before. */
export interface CurrentAction<R extends Answer> {
  /** The action under way ("create", "import", "rename:<flow id>", …); null before any. */
  readonly key: string | null;
  /** Answers to other actions that were on the page when a later action began: never shown again. */
  readonly stale: ReadonlyArray<R>;
  /** Messages of the browser's own check of this action's form, by field; null when it passed or did not run. */
  readonly refused: Readonly<Record<string, string>> | null;
}

/** No action yet: every answer on the page is shown. */
export const noAction: CurrentAction<never> = { key: null, stale: [], refused: null };

/** The key of a form's action: its intent, and the flow it acts on when it names one. Pure. */
export const actionKey = (intent: string, flowId?: string | null): string => (flowId ? `${intent}:${flowId}` : intent);

/**
 * `state` once the person starts `key`; `shown` are the answers on the page at that moment, and
 * those of other actions go stale (an answer to `key` itself stays). The same action again
 * changes nothing. Pure.
 */
export const beginAction = <R extends Answer>(state: CurrentAction<R>, key: string, shown: ReadonlyArray<R | undefined>): CurrentAction<R> => {
  if (key === state.key) return state;
  const other = shown.filter((answer): answer is R => answer !== undefined && actionKey(answer.intent, answer.id) !== key && !state.stale.includes(answer));
  return { key, stale: [...state.stale, ...other], refused: null };
};

/** `state` after the browser checked the form of `key`: `refused` are its messages, null when the values passed. Pure. */
export const checkedAction = <R extends Answer>(
  state: CurrentAction<R>,
  key: string,
  refused: Readonly<Record<string, string>> | null,
  shown: ReadonlyArray<R | undefined>,
): CurrentAction<R> => ({ ...beginAction(state, key, shown), refused });

/** `answer` unless an action other than the one it answers began after it arrived. Pure. */
export const freshAnswer = <R extends Answer>(state: CurrentAction<R>, answer: R | undefined): R | undefined =>
  answer !== undefined && !state.stale.includes(answer) ? answer : undefined;

/** The browser's messages for the form of `key`, when it is the current action; null otherwise. Pure. */
export const refusedFor = <R extends Answer>(state: CurrentAction<R>, key: string): Readonly<Record<string, string>> | null =>
  state.key === key ? state.refused : null;

/** The action key of the form a DOM event came from (its hidden `intent` and `id` fields); null outside such a form. */
export const formActionKey = (target: EventTarget | null): string | null => {
  const form = target instanceof HTMLFormElement ? target : target instanceof Element ? target.closest("form") : null;
  if (!form) return null;
  const field = (name: string) => {
    const element = form.elements.namedItem(name);
    return element instanceof HTMLInputElement ? element.value : null;
  };
  const intent = field("intent");
  return intent ? actionKey(intent, field("id")) : null;
};
