/** Turns a Redis client error into a sentence a user can act on. Never includes the password. */
export function describeRedisError(err: unknown, where: string): string {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  const cluster = describeClusterError(err, msg, where);
  if (cluster) return cluster;
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg))
    return `Redis refused the connection at ${where}: is redis-server running?`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return `Redis at ${where} rejected the password (WRONGPASS). Set it again with "Workers: Set Password or Key…" or the connection's secretEnv.`;
  }
  if (/NOAUTH/.test(msg))
    return `Redis at ${where} needs a password (NOAUTH). Set it with "Workers: Set Password or Key…" or the connection's secretEnv.`;
  if (/NOPERM/.test(msg)) return `The Redis user at ${where} lacks a permission: ${msg}`;
  if (e?.code === 'ETIMEDOUT' || /timed? ?out/i.test(msg)) return `Timed out talking to Redis at ${where}.`;
  if (e?.code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(msg)) return `Cannot resolve the Redis host of ${where}.`;
  if (/Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(msg))
    return `Not connected to Redis at ${where}; retrying.`;
  if (/max retries per request|ECONNRESET|EPIPE/i.test(msg))
    return `Lost the connection to Redis at ${where} in the middle of a read; retrying.`;
  if (/^BUSY/.test(msg))
    return `Redis at ${where} is busy running a script (BUSY) and answers nothing else until it ends or SCRIPT KILL stops it.`;
  if (/^LOADING/.test(msg)) return `Redis at ${where} is loading its dataset (LOADING); retrying.`;
  return `Redis error at ${where}: ${msg}`;
}

/**
 * A failed read on a Redis Cluster: a node's dropped connection means one of its primaries is
 * gone (crashed, failing over) while the others answer; said so, rather than "not connected".
 * A MOVED or ASK here is the cluster moving a slot (a failover, a resharding) under a read sent
 * straight to a node: the connection is a cluster one, so never "set "cluster": true".
 */
export function describeClusterReadError(err: unknown, where: string): string {
  const msg = (err as { message?: string })?.message ?? String(err);
  const moved = /^(MOVED|ASK) \d+ (\S+)/.exec(msg);
  if (moved)
    return `Hash slots of the Redis Cluster at ${where} are moving (a node answered ${moved[1]} ${moved[2]}: failing over or resharding?); showing the last known workers, retrying.`;
  const said = describeRedisError(err, where);
  if (!/^(Not connected to Redis|Lost the connection to Redis|Redis refused the connection)/.test(said)) return said;
  return `A primary of the Redis Cluster at ${where} does not answer (crashed or failing over?); showing the last known workers, retrying.`;
}

/** The cluster says some of its hash slots have no primary: CLUSTERDOWN from a node, or cluster_state:fail. */
export function clusterDownMessage(where: string, said: string): string {
  return `The Redis Cluster at ${where} is down (${said}): some hash slots have no reachable primary; showing the last known workers until it is whole again.`;
}

/** What Redis Cluster says (or ioredis's Cluster client says about it), in words; undefined for anything else. */
function describeClusterError(err: unknown, msg: string, where: string): string | undefined {
  // A plain connection to a cluster node: every key of another node's slots answers MOVED.
  const moved = /^MOVED \d+ (\S+)/.exec(msg);
  if (moved)
    return `${where} is a Redis Cluster node (MOVED to ${moved[1]}): set "cluster": true on this connection (--cluster on the command line).`;
  // The read script met a key another node serves (its keys go undeclared, so no MOVED first).
  if (/non local key in a cluster node/.test(msg))
    return `${where} is a Redis Cluster node (it serves only some of the workers' keys): set "cluster": true on this connection (--cluster on the command line).`;
  if (/CLUSTERDOWN/.test(msg)) return clusterDownMessage(where, 'CLUSTERDOWN');
  if (/Too many Cluster redirections/.test(msg)) {
    const last = /Last error: (?:\w*Error: )?(.*)$/.exec(msg)?.[1] ?? msg;
    return `A primary of the Redis Cluster at ${where} does not answer (failing over?): ${describeRedisError(new Error(last), where)}`;
  }
  if (/Failed to refresh slots cache|None of startup nodes is available/i.test(msg)) {
    // The seeds answered but said no (not a cluster, a wrong password): that answer, not "unreachable".
    const answer = (err as { lastNodeError?: { message?: string } })?.lastNodeError;
    if (answer?.message && /cluster support disabled|WRONGPASS|NOAUTH|NOPERM|invalid password/i.test(answer.message))
      return describeRedisError(answer, where);
    // Once connected, ioredis learns every node from the cluster; only a start (or a restart of the client)
    // depends on the seeds, so a lone seed that is down is the usual cause.
    return `No node of the Redis Cluster at ${where} answered (seed nodes unreachable): if that node is down, list other nodes of the cluster in "nodes" (--node on the command line); retrying.`;
  }
  if (/Cluster isn't ready/.test(msg)) return `Not connected to the Redis Cluster at ${where} yet; retrying.`;
  if (/cluster support disabled/i.test(msg))
    return `${where} is not a Redis Cluster (cluster support disabled): leave "cluster" out of this connection.`;
  return undefined;
}

/**
 * True when the server refuses a command for good — ACL (NOPERM), a renamed or
 * disabled command on managed Redis (unknown command / subcommand) — as opposed
 * to a connection problem worth retrying. Such a push path is "not available".
 */
export function isRefusedCommand(err: unknown): boolean {
  const msg = (err as { message?: string })?.message ?? String(err);
  return (
    /NOPERM|unknown command|unknown subcommand|not allowed|disabled/i.test(msg) &&
    !/Connection|Stream isn't writeable/i.test(msg)
  );
}

/**
 * True when an error says the store as a whole could not answer — the connection went
 * away or timed out, or the server refuses everyone for now (BUSY script, LOADING,
 * a password that no longer works) — as opposed to an answer about one key. Such an
 * error fails the whole read (the fleet goes stale, last known state kept); it must
 * never be pinned on a worker as "record could not be read".
 */
export function isStoreUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string };
  const msg = e?.message ?? String(err);
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  if (e?.code && /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|ECONNABORTED|EHOSTUNREACH|ENETUNREACH)$/.test(e.code))
    return true;
  return (
    /Connection is closed|Stream isn't writeable|max retries per request|offline queue|Command timed out|ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED/i.test(
      msg,
    ) ||
    // MOVED reaches us only on a plain connection to a cluster node: the connection's setting is wrong, not the key.
    /^(BUSY|LOADING|MASTERDOWN|NOAUTH|WRONGPASS|CLUSTERDOWN|TRYAGAIN|MOVED|READONLY You can't write against a read only replica)/.test(
      msg,
    ) ||
    /Too many Cluster redirections|Cluster isn't ready|non local key in a cluster node/.test(msg)
  );
}

/**
 * An ACL refusal of one capability, in words: which command this Redis user may not run, and what is lost
 * without it ("this Redis user may not PUBLISH: Restart for RQ workers is unavailable"). Undefined when the
 * error is not such a refusal (a connection problem is told by `describeRedisError`).
 */
export function describeRefusal(err: unknown, command: string, lost: string): string | undefined {
  const msg = (err as { message?: string })?.message ?? String(err);
  if (!isRefusedCommand(err)) return undefined;
  // Redis 7 refuses a channel the user's `&pattern` rules leave out separately from the command itself.
  const where = /channel/i.test(msg) ? ' on this channel (its ACL channel rules leave it out)' : '';
  return `this Redis user may not ${command}${where}: ${lost}`;
}
