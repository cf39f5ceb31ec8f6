/** The identifier quote character of a SQL dialect: `"` (standard, PostgreSQL, SQLite) or `` ` `` (MySQL). */
export type IdentifierQuote = '"' | '`';

/**
 * Quotes one identifier, doubling any embedded quote character. Names are already
 * validated by the schema (letters, digits, underscores); quoting is the second wall,
 * and also keeps reserved words such as `order` or `user` usable as column names.
 */
export function quoteIdentifier(name: string, quote: IdentifierQuote): string {
  return quote + name.split(quote).join(quote + quote) + quote;
}

/** Quotes a table name, each part of a qualified `namespace.table` separately. */
export function quoteTableName(table: string, quote: IdentifierQuote): string {
  return table
    .split('.')
    .map((part) => quoteIdentifier(part, quote))
    .join('.');
}

/** Quotes a list of column names and joins them with commas, for column lists. */
export function quoteColumnList(columns: readonly string[], quote: IdentifierQuote): string {
  return columns.map((column) => quoteIdentifier(column, quote)).join(', ');
}

/** The schema's columns that are not part of its conflict key, in column order. */
export function nonKeyColumns(columns: readonly string[], keys: readonly string[]): string[] {
  return columns.filter((column) => !keys.includes(column));
}
