// Owns plain aligned text tables for `report` and `trace` (no colours, no box drawing: pipes and
// copy/paste stay clean). Numbers align right, text left.
//
// Example:
//   table(['PATH', 'REQUESTS'], [['/login', 12], ['/api', 3]]);
//   // PATH    REQUESTS
//   // /login        12
//   // /api           3

export type Cell = string | number | null;

/** Integer with thousands separators; non-integers with up to 2 decimals. */
export function fmtNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function table(headers: string[], rows: Cell[][], indent = '  '): string {
  const text = rows.map((r) => r.map((c) => (c === null ? '-' : typeof c === 'number' ? fmtNumber(c) : c)));
  const right = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null) && rows.some((r) => typeof r[i] === 'number'));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => Array.from(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i] - Array.from(c).length));
        return right[i] ? pad + c : i === cells.length - 1 ? c : c + pad;
      })
      .join('  ');
  return [line(headers), ...text.map(line)].map((l) => l.replace(/\s+$/, '')).join('\n');
}
