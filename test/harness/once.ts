/**
 * A stop() that may be called twice (by a test that stops a server on purpose, then by
 * `after`): the second call returns the first one's promise. Without it, closing an
 * already-closed http.Server waits forever for a 'close' event that never comes.
 */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}
