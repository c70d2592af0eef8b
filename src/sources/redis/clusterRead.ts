import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { TypeHints } from './readWorkers';
import {
  chunk,
  evalScript,
  inLanes,
  isScriptRefused,
  isSlotMoved,
  workerKeys,
  parseReply,
  type BoundedState,
  type WorkerKeys,
  type Value,
} from './readScript';

/**
 * Every key's value, in the order of `ids` (per worker: state, then each counter), or undefined
 * when scripts are refused here (remembered in `state`) or a slot moved (this read only).
 */
export async function readKeysScripted(
  client: Cluster,
  ids: string[],
  stateTemplate: string,
  counters: string[],
  batchSize: number,
  state: BoundedState,
  typeHints?: TypeHints,
): Promise<Value[] | undefined> {
  const all = workerKeys(ids, stateTemplate, counters, typeHints);
  const batches = perNode(client, all, batchSize * (1 + counters.length));
  if (!batches) return undefined;
  state.lastCommands = (state.lastCommands ?? 0) + batches.length;
  const values: Value[] = new Array(all.keys.length);
  try {
    await inLanes(batches, async ({ node, at }) => {
      const batch = { keys: at.map((i) => all.keys[i]), hints: at.map((i) => all.hints[i]).join('') };
      const parsed = parseReply(await evalScript(node, true, state, batch), at.length);
      for (let i = 0; i < at.length; i++) values[at[i]] = parsed[i];
    });
  } catch (err) {
    // A slot moved under us (failover, resharding): this read goes key by key through the cluster
    // client, which follows MOVED; the slot table is refreshed, and the next read scripts again.
    if (isSlotMoved(err)) {
      client.refreshSlotsCache();
      return undefined;
    }
    // Only a definite "no" turns scripts off for this connection. A dropped connection, BUSY or a
    // timeout is the store's passing state: the caller reports it, and the next read tries again.
    if (!isScriptRefused(err)) throw err;
    state.scriptUnavailable = (err as Error).message.split('\n')[0];
    return undefined;
  }
  return values;
}

/**
 * Keys grouped by the primary serving their slot (ioredis's slot table), in batches (`at`: the
 * keys' places in `all`), each sent straight to that node's connection: the Cluster client would
 * refuse one command whose keys span slots before Redis could allow it. Undefined while the table
 * or a node's connection is not known: the caller reads key by key instead. A slot that moved
 * meanwhile makes the node answer "non local key", and this read falls back the same way.
 */
function perNode(cluster: Cluster, all: WorkerKeys, size: number): { node: Redis; at: number[] }[] | undefined {
  const clients = new Map(cluster.nodes('master').map((r) => [`${r.options.host}:${r.options.port}`, r]));
  const byNode = new Map<string, number[]>();
  for (let i = 0; i < all.keys.length; i++) {
    const node = cluster.slots[calculateSlot(all.keys[i])]?.[0];
    if (!node || !clients.has(node)) return undefined;
    let list = byNode.get(node);
    if (!list) byNode.set(node, (list = []));
    list.push(i);
  }
  return [...byNode].flatMap(([node, list]) => chunk(list, size).map((at) => ({ node: clients.get(node)!, at })));
}
