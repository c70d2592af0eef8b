import * as vscode from 'vscode';
import { describeBehind, fleetVersions, looksLikeCommit, shortVersion, type FleetVersions } from '../core/drift';
import type { Fleet } from '../core/fleet';
import type { WorkerView } from '../core/model';

/** The part of the built-in Git extension's API (`vscode.git`, version 1) used here. */
interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: { readonly HEAD?: { readonly commit?: string }; readonly onDidChange: vscode.Event<void> };
  getCommit(ref: string): Promise<{ hash: string }>;
  getMergeBase(ref1: string, ref2: string): Promise<string | undefined>;
  log(options?: { range?: string; maxEntries?: number }): Promise<{ hash: string }[]>;
}
interface GitApi {
  readonly repositories: readonly GitRepository[];
  readonly onDidOpenRepository: vscode.Event<GitRepository>;
}
interface GitExtension {
  getAPI(version: 1): GitApi;
}

/** Where a version stands against the workspace's HEAD: commits behind, or why that cannot be said. */
type Place = number | 'unknown';

/**
 * Code drift for the views: which workers run another version than the fleet's majority
 * (core), and — when a version is a commit of the open workspace's repository, asked through
 * VS Code's built-in Git extension — how far behind HEAD it is. A workspace without Git, a
 * version that is not a commit, a commit Git does not know: the version is shown as text.
 */
export class CodeDrift implements vscode.Disposable {
  private versions?: FleetVersions;
  private readonly places = new Map<string, Place>();
  private readonly inFlight = new Set<string>();
  private git?: GitApi;
  private head?: string;
  private readonly changed = new vscode.EventEmitter<void>();
  /** A place was worked out (or forgotten on a new HEAD): rows and tooltip should repaint. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly unsubscribe: () => void;

  constructor(private readonly fleet: Fleet) {
    this.unsubscribe = fleet.onChange(() => (this.versions = undefined));
    void this.connectGit();
  }

  private async connectGit(): Promise<void> {
    try {
      const ext = vscode.extensions.getExtension<GitExtension>('vscode.git');
      if (!ext) return;
      this.git = (ext.isActive ? ext.exports : await ext.activate()).getAPI(1);
      const watch = (repo: GitRepository) => this.disposables.push(repo.state.onDidChange(() => this.headMoved()));
      this.git.repositories.forEach(watch);
      this.disposables.push(
        this.git.onDidOpenRepository((repo) => {
          watch(repo);
          this.headMoved();
        }),
      );
      this.headMoved();
    } catch {
      // Git disabled or not installed: versions stay plain text.
    }
  }

  /** Commits are counted against HEAD: when it moves, every count is stale. */
  private headMoved(): void {
    const head = this.repository()?.state.HEAD?.commit;
    if (head === this.head) return;
    this.head = head;
    this.places.clear();
    this.changed.fire();
  }

  /** The repository of the first workspace folder that has one, else the first open. */
  private repository(): GitRepository | undefined {
    const repos = this.git?.repositories ?? [];
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString());
    return repos.find((r) => folders.includes(r.rootUri.toString())) ?? repos[0];
  }

  private fleetVersions(): FleetVersions {
    return (this.versions ??= fleetVersions(this.fleet.snapshots()));
  }

  /** How many commits behind HEAD, once known; asks Git the first time a version is seen. */
  private behind(version: string): number | undefined {
    if (!looksLikeCommit(version)) return undefined;
    const place = this.places.get(version);
    if (place !== undefined) return place === 'unknown' ? undefined : place;
    const repo = this.repository();
    const head = this.head;
    if (!repo || !head || this.inFlight.has(version)) return undefined;
    this.inFlight.add(version);
    void placeOf(repo, version, head).then((p) => {
      this.inFlight.delete(version);
      if (head !== this.head) return; // HEAD moved meanwhile: asked again on the next paint
      this.places.set(version, p);
      if (p !== 'unknown') this.changed.fire();
    });
    return undefined;
  }

  /** What a worker's row adds to its description: "outdated", "12 commits behind", or nothing. */
  label(w: WorkerView): string | undefined {
    const v = w.snapshot.version;
    if (!v) return undefined;
    const behind = this.behind(v);
    const outdated = this.fleetVersions().outdated.has(w.snapshot.id);
    if (behind !== undefined && behind > 0)
      return outdated ? `outdated · ${describeBehind(behind)}` : describeBehind(behind);
    return outdated ? `outdated (${shortVersion(v)})` : undefined;
  }

  /** The version line of a worker's details: [label, description]. */
  detail(w: WorkerView): [string, string] | undefined {
    const v = w.snapshot.version;
    if (!v) return undefined;
    const behind = this.behind(v);
    const { majority, outdated } = this.fleetVersions();
    const parts = [
      behind !== undefined ? describeBehind(behind) : '',
      outdated.has(w.snapshot.id) && majority ? `most workers run ${shortVersion(majority)}` : '',
    ];
    return [`Version ${shortVersion(v)}`, parts.filter(Boolean).join(' · ')];
  }

  /** For the status bar tooltip: "2 workers run outdated code (most run 3f2a9c1e)", or nothing. */
  summary(): string | undefined {
    const { majority, outdated } = this.fleetVersions();
    let behind = 0;
    this.fleet.forEachByName((w) => {
      if (w.version && (this.behind(w.version) ?? 0) > 0) behind++;
    });
    const lines: string[] = [];
    if (outdated.size && majority)
      lines.push(
        `${outdated.size} worker${outdated.size === 1 ? ' runs' : 's run'} outdated code (most run ${shortVersion(majority)})`,
      );
    if (behind) lines.push(`${behind} worker${behind === 1 ? ' is' : 's are'} behind the workspace's HEAD`);
    return lines.length ? lines.join('\n') : undefined;
  }

  dispose(): void {
    this.unsubscribe();
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}

/** Commits from `version` to HEAD when it is an ancestor of HEAD; 'unknown' for anything else. */
async function placeOf(repo: GitRepository, version: string, head: string): Promise<Place> {
  try {
    const { hash } = await repo.getCommit(version);
    if (hash === head) return 0;
    if ((await repo.getMergeBase(hash, head)) !== hash) return 'unknown';
    return (await repo.log({ range: `${hash}..${head}` })).length;
  } catch {
    return 'unknown';
  }
}
