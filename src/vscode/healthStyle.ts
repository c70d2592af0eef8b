import * as vscode from 'vscode';
import type { Health } from '../core/model';

/** Icon and theme colour per health; colours are contributed in package.json with light/dark/HC defaults. */
const ICON: Record<Health, [string, string]> = {
  working: ['pulse', 'workerLens.healthy'],
  healthy: ['pass', 'workerLens.healthy'],
  slow: ['watch', 'workerLens.warning'],
  unresponsive: ['question', 'workerLens.warning'],
  recovering: ['sync', 'workerLens.warning'],
  stopping: ['debug-pause', 'workerLens.warning'],
  dead: ['error', 'workerLens.failing'],
  missing: ['circle-slash', 'workerLens.failing'],
  crashed: ['flame', 'workerLens.failing'],
  stopped: ['debug-stop', 'workerLens.idle'],
  unknown: ['circle-outline', 'workerLens.idle'],
};

export function healthIcon(h: Health): vscode.ThemeIcon {
  const [icon, color] = ICON[h];
  return new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
}
