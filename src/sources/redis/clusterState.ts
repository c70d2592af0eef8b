import type { Cluster } from 'ioredis';

/**
 * Whether a node of the cluster that still answers says some hash slots have no serving primary
 * (`cluster_state:fail`). A read that failed on a dead node is then more than one slow primary: a
 * shard lost, or a failover not done yet, and the view says the cluster is down rather than guess.
 * Every known node is asked at once, each for at most `timeoutMs`: a dead node's connection would
 * hold the command until it reconnects.
 */
export async function clusterSaysFail(cluster: Cluster, timeoutMs = 500): Promise<boolean> {
  const answers = await Promise.all(
    cluster.nodes('all').map((node) => within(node.call('CLUSTER', 'INFO') as Promise<unknown>, timeoutMs)),
  );
  return answers.some((a) => typeof a === 'string' && /^cluster_state:fail/m.test(a));
}

/** The answer, or undefined once `ms` have passed or the command failed. */
function within<T>(answer: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref?.();
    answer.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
