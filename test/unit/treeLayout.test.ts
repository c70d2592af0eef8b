import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fleet } from '../../src/core/fleet';
import type { WorkerSnapshot } from '../../src/core/model';
import { namePrefix, PAGE, SPLIT_OVER, type SubgroupBy } from '../../src/core/treeGroups';
import { nodeId, TreeLayout, type TreeNode } from '../../src/core/treeLayout';

const NOW = 1_700_000_000_000;

function fleetOf(snaps: WorkerSnapshot[]): Fleet {
  const f = new Fleet(undefined, () => NOW);
  f.setConnection({ state: 'connected' });
  f.replaceAll(snaps);
  return f;
}

function layout(fleet: Fleet, by: SubgroupBy = 'auto', groupBy: 'health' | 'none' = 'health') {
  return new TreeLayout(fleet, { groupBy: () => groupBy, subgroupBy: () => by, errorRow: () => false });
}

const beat = (id: string, extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot => ({
  id,
  name: id,
  status: 'idle',
  lastHeartbeat: NOW - 1000,
  problems: [],
  ...extra,
});

const pad = (i: number) => String(i).padStart(6, '0');

describe('the Workers view at scale: a second level and "Show more"', () => {
  it('a small group lists its workers as before', () => {
    const l = layout(fleetOf([beat('b'), beat('a')]));
    const [group] = l.children();
    assert.equal(group?.kind, 'group');
    assert.deepEqual(
      l.children(group).map((n) => nodeId(n)),
      ['worker:a', 'worker:b'],
    );
  });

  it('100,000 healthy workers on 40 hosts: the group shows 40 host subgroups with counts, each a page of rows', () => {
    const snaps = Array.from({ length: 100_000 }, (_, i) => beat(`gpu-${pad(i)}`, { host: `node-${i % 40}` }));
    const l = layout(fleetOf(snaps));
    const groups = l.children();
    assert.equal(groups.length, 1);
    const subs = l.children(groups[0]);
    assert.equal(subs.length, 40, 'one subgroup per host, not 100,000 siblings');
    const first = subs[0] as TreeNode & { kind: 'subgroup' };
    assert.deepEqual(l.subgroupInfo(first), { label: 'node-0', count: 2500 });
    const rows = l.children(first);
    assert.equal(rows.length, PAGE + 1, 'a page of rows and a "Show more" row');
    const more = rows.at(-1) as TreeNode & { kind: 'more' };
    assert.equal(more.kind, 'more');
    assert.equal(l.remaining(more), 2500 - PAGE);
    assert.equal(l.showMore(more), first, 'Show more refreshes its subgroup');
    assert.equal(l.children(first).length, 2 * PAGE + 1);
    // A worker's parent is its subgroup (reveal from an alert works at any size).
    const w = l.workerNode('gpu-000041');
    assert.deepEqual(l.parent(w), { kind: 'subgroup', group: 'healthy', key: 'node-1' });
  });

  it('one host, one name prefix: name ranges of at most 100 subgroups', () => {
    const snaps = Array.from({ length: 50_000 }, (_, i) => beat(`bench-${pad(i)}`));
    const l = layout(fleetOf(snaps));
    const subs = l.children(l.children()[0]) as (TreeNode & { kind: 'subgroup' })[];
    assert.equal(subs.length, 100);
    assert.deepEqual(l.subgroupInfo(subs[0]!), { label: 'bench-000000 … bench-000499', count: 500 });
  });

  it('workers of more than one framework in a group are split by framework at any size, other workers last', () => {
    const snaps = [
      beat('w1'),
      beat('bullmq:q:a', { framework: 'bullmq' }),
      beat('rq:a', { framework: 'rq' }),
      beat('rq:b', { framework: 'rq' }),
    ];
    const l = layout(fleetOf(snaps));
    const subs = l.children(l.children()[0]) as (TreeNode & { kind: 'subgroup' })[];
    assert.deepEqual(
      subs.map((s) => l.subgroupInfo(s)),
      [
        { label: 'RQ', count: 2 },
        { label: 'BullMQ', count: 1 },
        { label: 'Other workers', count: 1 },
      ],
    );
    const one = layout(fleetOf([beat('rq:a', { framework: 'rq' }), beat('rq:b', { framework: 'rq' })]));
    assert.deepEqual(
      one.children(one.children()[0]).map(nodeId),
      ['worker:rq:a', 'worker:rq:b'],
      'one framework: rows',
    );
  });

  it('with no second level chosen, a large group pages its rows', () => {
    const snaps = Array.from({ length: SPLIT_OVER + 50 }, (_, i) => beat(`w-${pad(i)}`));
    const l = layout(fleetOf(snaps), 'none');
    const rows = l.children(l.children()[0]);
    assert.equal(rows.length, PAGE + 1);
    assert.equal(rows.at(-1)?.kind, 'more');
  });

  it('a change to the fleet is seen on the next read (health moves a worker between groups)', () => {
    const snaps = Array.from({ length: 300 }, (_, i) => beat(`w-${pad(i)}`, { host: `h${i % 3}` }));
    const fleet = fleetOf(snaps);
    const l = layout(fleet);
    assert.equal(l.children().length, 1);
    fleet.update([beat('w-000007', { host: 'h1', status: 'crashed' })]);
    l.invalidate();
    const groups = l.children() as (TreeNode & { kind: 'group' })[];
    assert.deepEqual(
      groups.map((g) => g.health),
      ['crashed', 'healthy'],
    );
    assert.deepEqual(l.children(groups[0]).map(nodeId), ['worker:w-000007']);
  });

  it('name prefixes', () => {
    assert.equal(namePrefix('gpu-17'), 'gpu-');
    assert.equal(namePrefix('mailer_3a'), 'mailer_');
    assert.equal(namePrefix('pool-1.eu'), 'pool-');
    assert.equal(namePrefix('worker5'), 'worker');
    assert.equal(namePrefix('mission-worker'), 'mission-');
    assert.equal(namePrefix('solo'), 'solo');
  });
});
