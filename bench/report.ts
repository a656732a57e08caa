// Benchmark output: Markdown tables (readable in a terminal, pasteable into docs/performance.md)
// and the number formats they use.

/** A Markdown table; columns after the first are right-aligned (they hold numbers). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Fixed decimals, or "n/a" for a missing or non-finite value. */
export function fixed(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
}

/** An integer with thousands separators ("112,160"). */
export function grouped(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? 'n/a' : Math.round(v).toLocaleString('en-US');
}

export function mib(kib: number | undefined): string {
  return kib === undefined ? 'n/a' : (kib / 1024).toFixed(0);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return v;
}
