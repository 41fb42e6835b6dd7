// Owns PathHelm's CSV reading and writing: a synchronous, chunked line reader (flat memory for any file size)
// with strict numeric parsing and errors that name the line and column, and a buffered writer.
//
// Example:
//   const r = CsvReader.open('data.csv');              // reads the header
//   for (let line = r.nextLine(); line !== null; line = r.nextLine()) {
//     const cells = r.split(line);                      // string[]; r.lineNumber is the 1-based line
//     const rps = parseCell(cells[2], r, 'rps');        // throws PH_ERR_CSV naming line and column
//   }
//   const w = new CsvWriter('out.csv'); w.writeRow(['a', 1.5]); w.close();

import { closeSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { PathHelmError } from '../errors.js';

const CHUNK = 1 << 20;

/** Formats a number for CSV: integers as is, others rounded to 6 decimals (deterministic, compact). */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  const r = Math.round(x * 1e6) / 1e6;
  return String(r === 0 ? 0 : r);
}

function quoteCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Buffered synchronous CSV writer; `path` '-' writes to stdout. */
export class CsvWriter {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private buf = '';
  private closed = false;

  constructor(path: string) {
    if (path === '-') {
      this.fd = 1;
      this.ownsFd = false;
    } else {
      try {
        mkdirSync(dirname(path), { recursive: true });
        this.fd = openSync(path, 'w');
      } catch (err) {
        throw new PathHelmError('PH_ERR_USAGE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
      }
      this.ownsFd = true;
    }
  }

  writeRow(cells: readonly (string | number)[]): void {
    let line = '';
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i];
      if (i > 0) line += ',';
      line += typeof c === 'number' ? formatNumber(c) : quoteCell(c);
    }
    this.writeLine(line);
  }

  /** Appends one already formatted line (without the newline). */
  writeLine(line: string): void {
    this.buf += line + '\n';
    if (this.buf.length >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const data = Buffer.from(this.buf, 'utf8');
    this.buf = '';
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue; // non-blocking stdout pipe
        throw err;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    if (this.ownsFd) closeSync(this.fd);
  }
}

/** Splits one CSV line into cells (RFC 4180 quoting; fast path when there are no quotes). */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') === -1) return line.split(',');
  const out: string[] = [];
  let i = 0;
  let cell = '';
  let quoted = false;
  while (i < line.length) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cell);
      cell = '';
    } else cell += ch;
    i++;
  }
  out.push(cell);
  return out;
}

/** Synchronous, chunked CSV reader: the header is read on open; `nextLine` returns raw lines, skipping blank ones. */
export class CsvReader {
  readonly header: string[];
  /** 1-based number of the line last returned (the header is line 1). */
  lineNumber = 0;

  private fd: number;
  private readonly decoder = new StringDecoder('utf8');
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private pending = '';
  private pos = 0;
  private eof = false;
  /** Bytes read so far (for progress). */
  bytesRead = 0;

  private constructor(
    readonly name: string,
    fd: number,
  ) {
    this.fd = fd;
    const head = this.nextLine();
    if (head === null) {
      this.close();
      throw new PathHelmError('PH_ERR_CSV', `${name} is empty; expected a header line with column names`);
    }
    this.header = splitCsvLine(head.charCodeAt(0) === 0xfeff ? head.slice(1) : head).map((h) => h.trim());
    const seen = new Set<string>();
    for (let i = 0; i < this.header.length; i++) {
      const h = this.header[i];
      if (h === '') {
        this.close();
        throw new PathHelmError('PH_ERR_CSV', `${name} line 1: column ${i + 1} has an empty name`);
      }
      if (seen.has(h)) {
        this.close();
        throw new PathHelmError('PH_ERR_CSV', `${name} line 1: column "${h}" appears twice`);
      }
      seen.add(h);
    }
  }

  /** Opens `path` ('-' = stdin) and reads its header. */
  static open(path: string): CsvReader {
    let fd: number;
    if (path === '-') fd = 0;
    else {
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new PathHelmError('PH_ERR_CSV', code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    return new CsvReader(path, fd);
  }

  /** Index of column `name`, or -1. */
  indexOf(name: string): number {
    return this.header.indexOf(name);
  }

  split(line: string): string[] {
    return splitCsvLine(line);
  }

  /** Next non-blank line without its line ending, or null at the end of the file. */
  nextLine(): string | null {
    for (;;) {
      const nl = this.pending.indexOf('\n', this.pos);
      if (nl !== -1) {
        let end = nl;
        if (end > this.pos && this.pending.charCodeAt(end - 1) === 13) end--;
        const line = this.pending.slice(this.pos, end);
        this.pos = nl + 1;
        this.lineNumber++;
        if (line.length === 0) continue;
        return line;
      }
      if (this.eof) {
        if (this.pos < this.pending.length) {
          let line = this.pending.slice(this.pos);
          this.pos = this.pending.length;
          this.lineNumber++;
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (line.length > 0) return line;
        }
        return null;
      }
      this.fill();
    }
  }

  private fill(): void {
    let n: number;
    try {
      n = readSync(this.fd, this.chunk, 0, CHUNK, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return;
      if ((err as NodeJS.ErrnoException).code === 'EOF') n = 0;
      else throw err;
    }
    this.pending = this.pending.slice(this.pos);
    this.pos = 0;
    if (n === 0) {
      this.pending += this.decoder.end();
      this.eof = true;
    } else {
      this.bytesRead += n;
      this.pending += this.decoder.write(this.chunk.subarray(0, n));
    }
  }

  close(): void {
    if (this.fd > 2) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = -1;
  }
}

/** A row-level problem; `--skip-invalid` counts these instead of failing. */
export class CsvRowError extends PathHelmError {
  constructor(message: string) {
    super('PH_ERR_CSV', message);
  }
}

/** Whether `s` only holds characters of a decimal number (Number() then checks the structure). */
function isDecimal(s: string): boolean {
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 43 && c !== 45 && c !== 46 && c !== 101 && c !== 69 && c !== 32) return false; // + - . e E space
  }
  return digits > 0;
}

/** Strict numeric parse of one cell: finite decimal numbers only (no '', NaN, Infinity, hex). */
export function parseCell(cell: string | undefined, reader: { name: string; lineNumber: number }, column: string): number {
  if (cell === undefined) throw new CsvRowError(`${reader.name} line ${reader.lineNumber}, column "${column}": missing (the row has too few columns)`);
  const v = isDecimal(cell) ? Number(cell) : NaN;
  if (!Number.isFinite(v)) throw new CsvRowError(`${reader.name} line ${reader.lineNumber}, column "${column}": "${cell}" is not a number`);
  return v;
}

/** Throws a CsvRowError when `cells` does not have the header's column count. */
export function checkWidth(cells: readonly string[], reader: CsvReader): void {
  if (cells.length !== reader.header.length) {
    throw new CsvRowError(`${reader.name} line ${reader.lineNumber}: expected ${reader.header.length} columns, found ${cells.length}`);
  }
}
