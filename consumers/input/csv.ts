/**
 * Parses RFC 4180 CSV: comma-separated fields, double-quoted fields may hold commas, quotes
 * (doubled) and line breaks; CRLF or LF line ends; a trailing newline is not an extra record.
 * Returns records with the 1-based line each starts on, for error messages.
 */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    // A blank line is no record, and only a blank line yields exactly one empty field.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    recordLine = line;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRecord();
    } else field += c;
    i++;
  }
  if (quoted) throw new SyntaxError(`CSV line ${recordLine}: unterminated quoted field`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
