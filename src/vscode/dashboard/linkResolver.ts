import { statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';

/** Longest path suffix tried against each workspace root (`/app/src/a/b.py` → `src/a/b.py`, `a/b.py`, `b.py`). */
const MAX_SUFFIX = 6;
const NEGATIVE_TTL_MS = 30_000;
const MAX_CACHE = 5000;

/**
 * Maps a path printed in a log to a file in the workspace, or nothing. Paths from a
 * store are untrusted and often from another machine or container (`/app/worker.py`
 * while the repo is checked out elsewhere), so we try: the path itself when it lies
 * inside a workspace folder, then relative to each folder, then its trailing
 * segments under each folder, longest first. Nothing outside the workspace folders
 * is ever returned. Answers are cached (misses briefly: a file may appear later).
 * No `vscode` here: roots are handed in.
 */
export class LinkResolver {
  private readonly cache = new Map<string, { file?: string; at: number }>();

  constructor(
    private readonly roots: () => readonly string[],
    private readonly isFile: (p: string) => boolean = defaultIsFile,
    private readonly clock: () => number = Date.now,
  ) {}

  resolve(path: string): string | undefined {
    const hit = this.cache.get(path);
    if (hit && (hit.file !== undefined || this.clock() - hit.at < NEGATIVE_TTL_MS)) return hit.file;
    if (this.cache.size >= MAX_CACHE) this.cache.clear();
    const file = this.lookup(path);
    this.cache.set(path, { file, at: this.clock() });
    return file;
  }

  /** Workspace folders changed: forget everything. */
  reset(): void {
    this.cache.clear();
  }

  private lookup(raw: string): string | undefined {
    const p = raw.trim();
    if (!p || p.includes('\0')) return undefined;
    const roots = this.roots().map((r) => normalize(r));
    const inside = (root: string, f: string) => {
      const rel = relative(root, f);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    };
    const native = p.replace(/[\\/]+/g, sep);
    if (isAbsolute(native)) {
      const f = normalize(native);
      if (roots.some((r) => inside(r, f)) && this.isFile(f)) return f;
    } else {
      for (const r of roots) {
        const f = normalize(join(r, native));
        if (inside(r, f) && this.isFile(f)) return f;
      }
    }
    const segs = p.split(/[\\/]+/).filter((s) => s && s !== '.' && s !== '..');
    for (let k = Math.min(MAX_SUFFIX, segs.length); k >= 1; k--) {
      for (const r of roots) {
        const f = normalize(join(r, ...segs.slice(-k)));
        if (inside(r, f) && this.isFile(f)) return f;
      }
    }
    return undefined;
  }
}

function defaultIsFile(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}
