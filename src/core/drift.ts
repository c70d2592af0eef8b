import type { WorkerSnapshot } from './model';

/** The fleet's versions: which one most workers run, and who runs another. */
export interface FleetVersions {
  /** The version more workers report than any other; undefined on a tie or with fewer than two versions seen. */
  majority?: string;
  /** Ids of workers whose version differs from the majority. */
  outdated: Set<string>;
  /** Workers that report a version at all. */
  reporting: number;
}

/**
 * Code drift across the fleet. Only workers that report a version count (an absent version is
 * not a different one), and missing placeholders have none. With a tie there is no majority
 * to differ from, so nobody is flagged rather than someone at random.
 */
export function fleetVersions(workers: readonly WorkerSnapshot[]): FleetVersions {
  const count = new Map<string, number>();
  let reporting = 0;
  for (const w of workers) {
    const v = w.version;
    if (!v) continue;
    reporting++;
    count.set(v, (count.get(v) ?? 0) + 1);
  }
  const outdated = new Set<string>();
  if (count.size < 2) return { outdated, reporting, majority: count.size === 1 ? [...count.keys()][0] : undefined };
  const ranked = [...count].sort((a, b) => b[1] - a[1]);
  if (ranked[0][1] === ranked[1][1]) return { outdated, reporting };
  const majority = ranked[0][0];
  for (const w of workers) if (w.version && w.version !== majority) outdated.add(w.id);
  return { majority, outdated, reporting };
}

/** A version that can be a Git commit: hex only, so nothing else ever reaches `git` as an argument. */
export function looksLikeCommit(version: string): boolean {
  return /^[0-9a-f]{7,40}$/i.test(version);
}

/** What a row says about a version's place in the workspace's history. */
export function describeBehind(behind: number): string {
  if (behind === 0) return 'at HEAD';
  return `${behind} commit${behind === 1 ? '' : 's'} behind`;
}

/** Short form of a version for a row: a full commit hash is cut to 8 characters, as Git shows them. */
export function shortVersion(version: string): string {
  return looksLikeCommit(version) && version.length > 12 ? version.slice(0, 8) : version;
}
