import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/**
 * The layer rules of ARCHITECTURE.md, checked on every import of every file: data flows
 * store → source → session → views, and imports point the other way only.
 */
const ROOT = resolve(__dirname, '../..');

/** Folder (relative to the repo) → folders it must never import from ('vscode' is the VS Code API). */
const FORBIDDEN: Record<string, string[]> = {
  'src/core': ['src/sources', 'src/control', 'src/vscode', 'src/companion', 'src/cli', 'webview', 'vscode'],
  'src/shared': [
    'src/core',
    'src/sources',
    'src/control',
    'src/vscode',
    'src/companion',
    'src/cli',
    'webview',
    'vscode',
  ],
  'src/sources': ['src/control', 'src/vscode', 'src/companion', 'src/cli', 'webview', 'vscode'],
  // Control reaches the same stores, so it may use a source's client and error wording.
  'src/control': ['src/vscode', 'src/companion', 'src/cli', 'webview', 'vscode'],
  'src/companion': ['src/vscode', 'src/cli', 'webview', 'vscode'],
  'src/cli': ['src/vscode', 'src/companion', 'webview', 'vscode'],
  // The dashboard reads the session: it never reaches a store or a source itself.
  'src/vscode/dashboard': ['src/sources', 'src/control', 'src/companion', 'src/cli', 'webview'],
  // The page talks to the host only through the protocol.
  webview: ['src/core', 'src/sources', 'src/control', 'src/vscode', 'src/companion', 'src/cli', 'vscode'],
};

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** The import specifiers of a file, as TypeScript's own pre-processor finds them (type imports included). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** 'vscode', or the repo-relative path an import points at; undefined for other packages. */
function target(file: string, spec: string): string | undefined {
  if (spec === 'vscode') return 'vscode';
  if (!spec.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), spec));
}

/** Every import that breaks a rule, as "file → import". */
export function violations(): string[] {
  const out: string[] = [];
  for (const [layer, banned] of Object.entries(FORBIDDEN)) {
    for (const file of filesUnder(layer)) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (t === undefined) continue;
        const hit = banned.find((b) => t === b || t.startsWith(`${b}/`));
        if (hit) out.push(`${file} imports ${spec} (${layer} may not import ${hit})`);
      }
    }
  }
  return out;
}

describe('layers', () => {
  it('every import points the way ARCHITECTURE.md says', () => {
    assert.deepEqual(violations(), []);
  });

  it('no view or command asks which kind of source it has (instanceof outside src/sources)', () => {
    const offenders = [...filesUnder('src/vscode'), ...filesUnder('src/cli'), 'src/extension.ts'].filter((f) =>
      /instanceof\s+\w*Source\b/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('the checker sees a planted violation (a core file importing vscode)', () => {
    const planted = ts.preProcessFile(
      "import * as vscode from 'vscode';\nimport { x } from '../sources/source';",
      true,
      true,
    );
    const specs = planted.importedFiles.map((f) => target('src/core/planted.ts', f.fileName));
    assert.deepEqual(specs, ['vscode', 'src/sources/source']);
    assert.ok(FORBIDDEN['src/core']!.includes('vscode') && FORBIDDEN['src/core']!.includes('src/sources'));
  });
});
