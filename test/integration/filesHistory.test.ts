import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LiveSession } from '../../src/core/liveSession';
import type { SourceSink } from '../../src/core/sourceSink';
import { FilesSource } from '../../src/sources/files/filesSource';
import { waitFor } from '../harness/freePort';

const MIN = 60_000;

/** Python logging's asctime: local time, no zone. */
function asctime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/**
 * A folder of heartbeat files whose `*.log` files hold the last 10 minutes (and, before them,
 * a morning's worth of older lines): the dashboard opens on those 10 minutes — far more
 * than the 16 KiB tail read before — each completion counted once, and the live tail goes
 * on from the byte where the read-back ended.
 */
test('heartbeat-file logs are read back over the window, and the tail meets the read-back at one offset', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-history-'));
  const session = new LiveSession();
  const source = new FilesSource({ path: dir, logs: '*.log', pollMs: 60_000 });
  t.after(async () => {
    await source.dispose();
    session.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const now = Date.now();
  // The history ends before the minute in progress: the charts' totals leave that bucket out
  // (a rate over part of a bucket would dip), so lines in it would be counted only a minute later.
  const end = Math.floor(now / MIN) * MIN - 1000;
  let expected = 0;
  for (const w of ['sim-1', 'sim-2']) {
    let text = '';
    // A morning long gone: 9 hours ago, 200 KiB of it (outside every window).
    for (let i = 0; i < 2000; i++)
      text += `${asctime(now - 9 * 60 * MIN + i * 1000)} - INFO - [${w}] Task old-${i} completed in 1.0s\n`;
    // The last 10 minutes: a start and a completion every 2 s (with a traceback now and then).
    for (let ms = end - 10 * MIN; ms < end; ms += 2000) {
      text += `${asctime(ms)} - INFO - [${w}] Task T-${ms} started: Fix login bug (acme/api)\n`;
      if (ms % 60_000 < 2000)
        text += `${asctime(ms + 900)} - ERROR - [${w}] Task T-${ms} failed after 0.9s: boom\nTraceback (most recent call last):\n  File "worker.py", line 3\n`;
      else {
        text += `${asctime(ms + 900)} - INFO - [${w}] Task T-${ms} completed in 0.9s\n`;
        expected++;
      }
    }
    writeFileSync(join(dir, `${w}.log`), text);
    writeFileSync(
      join(dir, `${w}.json`),
      JSON.stringify({ worker: w, timestamp: new Date(now).toISOString(), status: 'idle' }),
    );
  }

  const ids: string[] = [];
  const inner = session.sink();
  const sink: SourceSink = { ...inner, logs: (es) => (ids.push(...es.map((e) => e.id!)), inner.logs(es)) };
  source.start(sink);
  const completed = () => session.metrics.view('1h').totals.completed;
  await waitFor(() => completed() >= expected, {
    timeoutMs: 30_000,
    message: () => `the 10 minutes counted (${completed()} of ${expected})`,
  });
  const v = session.metrics.view('1h');
  assert.equal(v.totals.completed, expected, 'each completion once, none of the morning');
  assert.equal(session.metrics.fittingWindow(), '1h', '10 minutes of history: the hour window holds it');
  const drawn = v.throughput.fleet.filter((x) => x !== null && x > 0).length;
  assert.ok(drawn >= 9, `a line over the 10 minutes (${drawn} minutes drawn)`);
  assert.ok(
    v.totals.p50s !== null && v.totals.p50s > 0.5 && v.totals.p50s < 1.5,
    `durations from the lines (${v.totals.p50s})`,
  );
  assert.ok(v.totals.errors >= 18, `failures counted (${v.totals.errors})`);

  // Live: a line appended now is delivered once, after the read-back, from the next byte.
  const before = ids.length;
  appendFileSync(join(dir, 'sim-1.log'), `${asctime(Date.now())} - INFO - [sim-1] Task live-1 completed in 2.0s\n`);
  await source.refresh();
  await waitFor(() => ids.length > before, { timeoutMs: 30_000, message: 'the appended line' });
  await source.refresh();
  assert.equal(ids.length, before + 1, 'the appended line once');
  assert.equal(new Set(ids).size, ids.length, 'no line delivered twice');
});
