/**
 * CSV for downloads (report tables, the contacts export, an import's rejected rows), RFC 4180:
 * comma-separated, CRLF line ends, a field quoted when it holds a comma, quote or line break,
 * quotes doubled, and a UTF-8 byte-order mark so spreadsheet programs read names with accents
 * correctly. A text cell that a spreadsheet would run as a formula (starting with = + - @, a
 * tab or a carriage return) gets a leading apostrophe: contacts' names and emails come from
 * visitors and files, and must not become formulas in whoever opens the export. Pure.
 */

const FORMULA = /^[=+\-@\t\r]/;

/** What starts a CSV document: the UTF-8 byte-order mark. */
export const CSV_BOM = "\uFEFF";

/** What separates fields: a comma, or a semicolon to give back a file Excel saved with them. */
export type CsvDelimiter = "," | ";";

/** One CSV field; `numeric` cells (figures the app computed) keep a leading minus. Pure. */
export const csvField = (value: string, numeric = false, delimiter: CsvDelimiter = ","): string => {
  const safe = !numeric && FORMULA.test(value) ? `'${value}` : value;
  return /["\r\n]/.test(safe) || safe.includes(delimiter) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** One CSV line of text cells, with its CRLF. Pure. */
export const csvLine = (cells: ReadonlyArray<string>): string => `${cells.map((cell) => csvField(cell)).join(",")}\r\n`;

/** A table to write: its column labels (numeric columns keep a leading minus) and its rows. */
export interface CsvTable {
  readonly columns: ReadonlyArray<{ readonly label: string; readonly numeric?: boolean }>;
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
}

/** The table as a CSV document: a header row of the column labels, then its rows. Pure. */
export const toCsv = (table: CsvTable, delimiter: CsvDelimiter = ","): string => {
  const lines = [table.columns.map((c) => csvField(c.label, false, delimiter)).join(delimiter)];
  for (const row of table.rows) lines.push(row.map((cell, i) => csvField(cell, table.columns[i]?.numeric === true, delimiter)).join(delimiter));
  return `${CSV_BOM}${lines.join("\r\n")}\r\n`;
};
