import * as path from 'node:path';
import * as vscode from 'vscode';
import { metricsToCsv, metricsToJson } from '../../core/metricsExport';
import type { MetricsView } from '../../shared/protocol';
import type { LinkResolver } from './linkResolver';

/**
 * `workerLens.exportMetrics`: the current chart window to a CSV or JSON file chosen in
 * a Save dialog (the extension picks the format from the file name). Returns the file, if written.
 */
export async function exportMetrics(
  view: MetricsView,
  connection: string | undefined,
): Promise<vscode.Uri | undefined> {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `worker-metrics-${view.window}-${stamp}.csv`;
  const uri = await vscode.window.showSaveDialog({
    title: 'Export Worker Metrics',
    saveLabel: 'Export',
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { CSV: ['csv'], JSON: ['json'] },
  });
  if (!uri) return undefined;
  const json = uri.path.toLowerCase().endsWith('.json');
  const text = json ? metricsToJson(view, { connection }) : metricsToCsv(view);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  void vscode.window
    .showInformationMessage(
      `Worker Lens: exported ${view.times.length} buckets to ${path.basename(uri.fsPath)}.`,
      'Open',
    )
    .then((c) => {
      if (c === 'Open') void vscode.window.showTextDocument(uri);
    });
  return uri;
}

/**
 * Opens a stack-frame link at its line. The path comes from a store (untrusted), so
 * only a file the resolver finds inside the workspace is opened; failing that, a
 * workspace search by file name picks the match sharing the longest path suffix.
 * Returns why nothing opened, or undefined when it did.
 */
export async function openLink(
  resolver: LinkResolver,
  p: string,
  line: number,
  column?: number,
): Promise<string | undefined> {
  let file = resolver.resolve(p);
  if (!file) file = await findBySuffix(p);
  if (!file) return `${p} is not a file in this workspace.`;
  const pos = new vscode.Position(Math.max(0, Math.floor(line) - 1), Math.max(0, Math.floor(column ?? 1) - 1));
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  await vscode.window.showTextDocument(doc, {
    selection: new vscode.Range(pos, pos),
    viewColumn: vscode.ViewColumn.One,
    preview: true,
  });
  return undefined;
}

async function findBySuffix(p: string): Promise<string | undefined> {
  const segs = p.split(/[\\/]+/).filter(Boolean);
  const base = segs[segs.length - 1];
  if (!base || /[*?{}[\]]/.test(base)) return undefined; // a glob character would widen the search
  const found = await vscode.workspace.findFiles(`**/${base}`, '**/node_modules/**', 50);
  let best: { file: string; score: number } | undefined;
  for (const uri of found) {
    const parts = uri.fsPath.split(/[\\/]+/);
    let score = 0;
    while (
      score < segs.length &&
      score < parts.length &&
      parts[parts.length - 1 - score] === segs[segs.length - 1 - score]
    )
      score++;
    if (!best || score > best.score) best = { file: uri.fsPath, score };
  }
  return best?.file;
}
