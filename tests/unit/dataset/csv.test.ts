// Tests CSV reading and writing: header checks, quoting, line endings, strict numbers and errors naming line+column.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvReader, CsvWriter, formatNumber, parseCell, splitCsvLine } from '../../../src/dataset/csv.js';

const dir = mkdtempSync(join(tmpdir(), 'ph-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function readAll(path: string): { header: string[]; rows: { line: number; cells: string[] }[] } {
  const r = CsvReader.open(path);
  const rows: { line: number; cells: string[] }[] = [];
  for (let l = r.nextLine(); l !== null; l = r.nextLine()) rows.push({ line: r.lineNumber, cells: r.split(l) });
  r.close();
  return { header: r.header, rows };
}

describe('CSV', () => {
  it('reads header and rows with CRLF, blank lines, BOM and quotes, counting lines', () => {
    const p = file('a.csv', '\ufeffa,b,name\r\n1,2,x\r\n\r\n3,4,"y, ""quoted"""\n5,6,z');
    const { header, rows } = readAll(p);
    expect(header).toEqual(['a', 'b', 'name']);
    expect(rows).toEqual([
      { line: 2, cells: ['1', '2', 'x'] },
      { line: 4, cells: ['3', '4', 'y, "quoted"'] },
      { line: 5, cells: ['5', '6', 'z'] },
    ]);
  });

  it('streams a file larger than its read chunk', () => {
    const lines = ['x,y'];
    for (let i = 0; i < 120_000; i++) lines.push(`${i},${i * 2}`);
    const p = file('big.csv', lines.join('\n') + '\n');
    const r = CsvReader.open(p);
    let n = 0;
    let last = '';
    for (let l = r.nextLine(); l !== null; l = r.nextLine()) {
      n++;
      last = l;
    }
    r.close();
    expect(n).toBe(120_000);
    expect(last).toBe('119999,239998');
    expect(r.lineNumber).toBe(120_001);
  });

  it('refuses empty files, empty and duplicate column names', () => {
    expect(() => CsvReader.open(file('e.csv', ''))).toThrow(/is empty/);
    expect(() => CsvReader.open(file('d.csv', 'a,a\n1,2\n'))).toThrow(/column "a" appears twice/);
    expect(() => CsvReader.open(file('n.csv', 'a,,c\n'))).toThrow(/column 2 has an empty name/);
    expect(() => CsvReader.open(join(dir, 'missing.csv'))).toThrow(/does not exist/);
  });

  it('parses numbers strictly and names line and column in errors', () => {
    const at = { name: 'data.csv', lineNumber: 17 };
    expect(parseCell('1.5', at, 'rps')).toBe(1.5);
    expect(parseCell('-2e-3', at, 'rps')).toBe(-0.002);
    expect(parseCell(' 7 ', at, 'rps')).toBe(7);
    expect(() => parseCell('abc', at, 'rps')).toThrow('data.csv line 17, column "rps": "abc" is not a number');
    for (const bad of ['', ' ', 'NaN', 'Infinity', '0x10', '1,5', '1-2', '--1']) expect(() => parseCell(bad, at, 'rps')).toThrow(/is not a number/);
    expect(() => parseCell(undefined, at, 'rps')).toThrow(/missing/);
  });

  it('writes rows with formatted numbers and quoted strings', () => {
    const p = join(dir, 'sub', 'w.csv');
    const w = new CsvWriter(p);
    w.writeRow(['a', 'b', 'c']);
    w.writeRow([1, 0.1234567891, 'x,y']);
    w.writeRow([1e-9, -0, 'say "hi"']);
    w.close();
    expect(readFileSync(p, 'utf8')).toBe('a,b,c\n1,0.123457,"x,y"\n0,0,"say ""hi"""\n');
    expect(formatNumber(2.5)).toBe('2.5');
    expect(splitCsvLine('"a""b",c')).toEqual(['a"b', 'c']);
  });
});
