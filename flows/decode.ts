/**
 * Decoding of outside input against a Schema into either a value or a list of
 * `{ path, message }` issues — the shape every API error and CLI diagnostic uses.
 */
import { Either, ParseResult, Schema as S } from "effect";

export interface DecodeIssue {
  /** Dotted path into the input, e.g. `nodes[2].data.answer.type`; "" for the root. */
  readonly path: string;
  readonly message: string;
}

/** Formats a property-key path as `a.b[2].c`. Pure. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path
    .map((key, i) =>
      typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`,
    )
    .join("");

/** A decoder for `schema` collecting every error; build it once and reuse it (parsers are not free). Pure. */
export const decodeWith = <A, I>(schema: S.Schema<A, I, never>) => {
  const decode = S.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" });
  return (input: unknown): Either.Either<A, ReadonlyArray<DecodeIssue>> =>
    decode(input).pipe(
      Either.mapLeft((error) =>
        ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
          path: formatPath(issue.path),
          message: issue.message,
        })),
      ),
    );
};
