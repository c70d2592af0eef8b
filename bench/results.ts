import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow } from './fleetBench';

export const RESULTS_PATH = join(__dirname, 'results.json');

/**
 * Adds rows to bench/results.json, replacing earlier figures of the same metric and size
 * and keeping the rest: the VS Code bench can run on its own without losing the others.
 */
export function mergeResults(rows: BenchRow[], path = RESULTS_PATH): BenchRow[] {
  let kept: BenchRow[] = [];
  if (existsSync(path)) {
    try {
      const old: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (Array.isArray(old))
        kept = old.filter((r: BenchRow) => !rows.some((n) => n.metric === r?.metric && n.workers === r?.workers));
    } catch {
      console.warn(`${path} could not be read as JSON: written anew.`);
    }
  }
  const all = [...kept, ...rows];
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`);
  return all;
}

/** A Markdown table: one line per metric, one column per fleet size. */
export function printTable(rows: BenchRow[]): void {
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const sizes = [...new Set(rows.map((r) => r.workers))].sort((a, b) => a - b);
  const cell = (m: string, n: number) => {
    const r = rows.find((x) => x.metric === m && x.workers === n);
    return r ? String(r.value) : '';
  };
  console.log(`\n| metric | unit | ${sizes.map((n) => (n ? `N=${n}` : '—')).join(' | ')} |`);
  console.log(`|---|---|${sizes.map(() => '---:').join('|')}|`);
  for (const m of metrics)
    console.log(`| ${m} | ${rows.find((r) => r.metric === m)!.unit} | ${sizes.map((n) => cell(m, n)).join(' | ')} |`);
}
