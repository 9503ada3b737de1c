/**
 * CSV of a report table (RFC 4180): comma-separated, CRLF line ends, a field quoted when it
 * holds a comma, quote or line break, quotes doubled, and a UTF-8 byte-order mark so
 * spreadsheet programs read names with accents correctly. A text cell that a spreadsheet
 * would run as a formula (starting with = + - @, a tab or a carriage return) gets a leading
 * apostrophe. Pure.
 */
import type { ReportTable } from "./tables.js";

const FORMULA = /^[=+\-@\t\r]/;

/** One CSV field. Pure. */
export const csvField = (value: string, numeric = false): string => {
  const safe = !numeric && FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The table as a CSV document: a header row of the column labels, then its rows. Pure. */
export const toCsv = (table: ReportTable): string => {
  const lines = [table.columns.map((c) => csvField(c.label)).join(",")];
  for (const row of table.rows) lines.push(row.map((cell, i) => csvField(cell, table.columns[i]?.numeric === true)).join(","));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
};
