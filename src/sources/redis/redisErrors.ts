/** Turns a Redis client error into a sentence a user can act on. Never includes the password. */
export function describeRedisError(err: unknown, where: string): string {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) return `Redis refused the connection at ${where}: is redis-server running?`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return `Redis at ${where} rejected the password (WRONGPASS). Set it again with "Workers: Set Password or Key…" or the connection's secretEnv.`;
  }
  if (/NOAUTH/.test(msg)) return `Redis at ${where} needs a password (NOAUTH). Set it with "Workers: Set Password or Key…" or the connection's secretEnv.`;
  if (/NOPERM/.test(msg)) return `The Redis user at ${where} lacks a permission: ${msg}`;
  if (e?.code === 'ETIMEDOUT' || /timed? ?out/i.test(msg)) return `Timed out talking to Redis at ${where}.`;
  if (e?.code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(msg)) return `Cannot resolve the Redis host of ${where}.`;
  if (/Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(msg)) return `Not connected to Redis at ${where}; retrying.`;
  return `Redis error at ${where}: ${msg}`;
}

/**
 * True when the server refuses a command for good — ACL (NOPERM), a renamed or
 * disabled command on managed Redis (unknown command / subcommand) — as opposed
 * to a connection problem worth retrying. Such a push path is "not available".
 */
export function isRefusedCommand(err: unknown): boolean {
  const msg = (err as { message?: string })?.message ?? String(err);
  return /NOPERM|unknown command|unknown subcommand|not allowed|disabled/i.test(msg) && !/Connection|Stream isn't writeable/i.test(msg);
}
