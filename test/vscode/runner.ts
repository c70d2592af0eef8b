import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

/*
 * A tiny test runner for inside VS Code's extension host. Mocha would do, but bundling
 * it for the host is fragile; this is 60 lines, runs tests in order (they share one
 * activated extension) and hands the result to the harness through a file.
 */

type TestFn = () => Promise<void> | void;
const tests: { name: string; fn: TestFn; timeoutMs: number }[] = [];

export function test(name: string, fn: TestFn, timeoutMs = 30_000): void {
  tests.push({ name, fn, timeoutMs });
}

/** Polls until `cond` is truthy (shared with the Node-side harness). */
export { waitFor } from '../harness/freePort';

const notes: string[] = [];
/** A figure worth printing with the results (latencies seen inside VS Code). */
export function note(text: string): void {
  notes.push(text);
}

export interface SuiteResult {
  notes: string[];
  passed: number;
  failed: number;
  failures: { name: string; error: string }[];
  names: string[];
  vscodeVersion: string;
}

export async function runAll(): Promise<SuiteResult> {
  const result: SuiteResult = { notes, passed: 0, failed: 0, failures: [], names: [], vscodeVersion: vscode.version };
  for (const t of tests) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs)),
        ),
      ]);
      result.passed++;
      result.names.push(`✔ ${t.name}`);
    } catch (err) {
      result.failed++;
      result.names.push(`✘ ${t.name}`);
      result.failures.push({ name: t.name, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    } finally {
      clearTimeout(timer);
    }
  }
  const out = process.env.WORKER_LENS_TEST_RESULT;
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  return result;
}
