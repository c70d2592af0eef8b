/** From this many workers on, timed full reads are paced by what they cost the store. */
export const PACED_FROM = 10_000;

/**
 * How long to wait between timed full reads so that, at rest, the observer sends a production
 * Redis at most one command per second per 10,000 workers. A full read of N workers is about
 * N/100 + N/5,000 commands (boundedRead.ts), so at 100,000 workers that is one read every ~102 s
 * instead of the configured 15 s reconcile. Push paths still deliver each change as it happens;
 * only the safety-net read slows down. Below PACED_FROM the configured interval stands: a small
 * fleet's full read is a handful of commands.
 */
export function pacedIntervalMs(configuredMs: number, commandsPerRead: number | undefined, workers: number): number {
  if (workers < PACED_FROM || !commandsPerRead) return configuredMs;
  return Math.max(configuredMs, Math.ceil((commandsPerRead * 10_000 * 1000) / workers));
}
