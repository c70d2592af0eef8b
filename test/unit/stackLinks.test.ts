import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findStackLinks } from '../../src/core/stackLinks';
import { LinkResolver } from '../../src/vscode/dashboard/linkResolver';

const linked = (text: string) =>
  findStackLinks(text).map((l) => ({ text: text.slice(l.start, l.end), path: l.path, line: l.line, column: l.column }));

describe('findStackLinks', () => {
  it('finds Python traceback frames, skipping frozen/builtin ones', () => {
    assert.deepEqual(linked('  File "/app/shared/agents/worker.py", line 142, in claim_task'), [
      { text: '/app/shared/agents/worker.py', path: '/app/shared/agents/worker.py', line: 142, column: undefined },
    ]);
    assert.deepEqual(linked('  File "<frozen importlib._bootstrap>", line 1007, in _find_and_load'), []);
    assert.deepEqual(linked('  File "worker.py", line 3'), [
      { text: 'worker.py', path: 'worker.py', line: 3, column: undefined },
    ]);
  });

  it('finds Node frames, with and without a function name, spaces in the path included', () => {
    assert.deepEqual(linked('    at runTask (/srv/my app/src/jobs.js:12:5)'), [
      { text: '/srv/my app/src/jobs.js:12:5', path: '/srv/my app/src/jobs.js', line: 12, column: 5 },
    ]);
    assert.deepEqual(linked('    at /srv/app/index.mjs:7:19'), [
      { text: '/srv/app/index.mjs:7:19', path: '/srv/app/index.mjs', line: 7, column: 19 },
    ]);
    assert.deepEqual(linked('    at async Promise.all (index 0)'), []);
    assert.deepEqual(linked('    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'), []);
    assert.deepEqual(linked('    at Object.<anonymous> (file:///home/me/x.js:1:2)'), [
      { text: 'file:///home/me/x.js:1:2', path: '/home/me/x.js', line: 1, column: 2 },
    ]);
  });

  it('finds plain path:line[:col] and tsc-style path(line,col)', () => {
    assert.deepEqual(linked('error at src/worker.ts:42 while claiming'), [
      { text: 'src/worker.ts:42', path: 'src/worker.ts', line: 42, column: undefined },
    ]);
    assert.deepEqual(linked('src/a.ts(10,3): error TS2322'), [
      { text: 'src/a.ts(10,3)', path: 'src/a.ts', line: 10, column: 3 },
    ]);
    assert.deepEqual(linked('panic: boom\n\t/go/src/app/main.go:27 +0x1d'), [
      { text: '/go/src/app/main.go:27', path: '/go/src/app/main.go', line: 27, column: undefined },
    ]);
    assert.deepEqual(linked('C:\\work\\app\\job.py:9: warning'), [
      { text: 'C:\\work\\app\\job.py:9', path: 'C:\\work\\app\\job.py', line: 9, column: undefined },
    ]);
  });

  it('leaves times, hosts, ports, URLs and versions alone', () => {
    for (const text of [
      '[2026-02-07 21:05:50] [worker-gpu1] Worker starting main loop',
      'Connected to redis://127.0.0.1:6379/0',
      'GET https://example.com:8443/api/jobs.json:3 failed',
      'listening on example.com:8080',
      'version 1.2.3: ok',
      'ratio 3:2',
    ]) {
      assert.deepEqual(linked(text), [], text);
    }
  });

  it('returns several links in order, never overlapping', () => {
    const text = 'see a.py:1 and b/c.ts:2:3 then File "d.py", line 4';
    const links = findStackLinks(text);
    assert.deepEqual(
      links.map((l) => l.path),
      ['a.py', 'b/c.ts', 'd.py'],
    );
    for (let i = 1; i < links.length; i++) assert.ok(links[i]!.start >= links[i - 1]!.end);
  });
});

describe('LinkResolver', () => {
  const root = '/ws/repo';
  const files = new Set([join(root, 'shared/agents/worker.py'), join(root, 'src/jobs.js'), '/etc/passwd']);
  const resolver = () =>
    new LinkResolver(
      () => [root],
      (p) => files.has(p),
    );

  it('accepts a path inside the workspace, absolute or relative', () => {
    const r = resolver();
    assert.equal(r.resolve('/ws/repo/src/jobs.js'), join(root, 'src/jobs.js'));
    assert.equal(r.resolve('src/jobs.js'), join(root, 'src/jobs.js'));
    assert.equal(r.resolve('./src/jobs.js'), join(root, 'src/jobs.js'));
  });

  it('maps a path from another machine or container by its trailing segments', () => {
    assert.equal(resolver().resolve('/app/shared/agents/worker.py'), join(root, 'shared/agents/worker.py'));
    assert.equal(resolver().resolve('/home/ci/build/repo/src/jobs.js'), join(root, 'src/jobs.js'));
  });

  it('never resolves outside the workspace', () => {
    const r = resolver();
    assert.equal(r.resolve('/etc/passwd'), undefined);
    assert.equal(r.resolve('../../etc/passwd'), undefined);
    assert.equal(r.resolve('/ws/repo/../../etc/passwd'), undefined);
    assert.equal(r.resolve('missing.py'), undefined);
  });

  it('caches hits, and misses only for a while', () => {
    let calls = 0;
    let now = 0;
    const present = new Set<string>();
    const r = new LinkResolver(
      () => [root],
      (p) => (calls++, present.has(p)),
      () => now,
    );
    assert.equal(r.resolve('late.py'), undefined);
    const after = calls;
    assert.equal(r.resolve('late.py'), undefined);
    assert.equal(calls, after, 'a recent miss is cached');
    present.add(join(root, 'late.py'));
    now += 31_000;
    assert.equal(r.resolve('late.py'), join(root, 'late.py'), 'a file created later is found');
  });
});
