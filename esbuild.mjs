// Builds the extension (node, cjs, `vscode` external), the in-VS-Code test suite,
// and (when present) the dashboard webview (browser, iife). `--production` minifies.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] };

const builds = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/main.js',
  },
  // The in-VS-Code test suite is never shipped (.vscodeignore leaves dist/test out).
  !production && { ...node, entryPoints: ['test/vscode/index.ts'], outfile: 'dist/test/vscode/index.js' },
  // The extension-host side of `npm run bench:vscode-scale`; never shipped either.
  !production && { ...node, entryPoints: ['bench/inHost/scaleProbe.ts'], outfile: 'dist/test/bench/scaleProbe.js' },
].filter((b) => b && existsSync(b.entryPoints[0]));

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
