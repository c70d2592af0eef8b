import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Coalescer, type CoalescerClock } from '../../src/core/coalescer';

/** A clock that moves only when told, firing due timers in order. */
function fakeClock() {
  let now = 1_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: CoalescerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return {
    clock,
    advance,
    get now() {
      return now;
    },
    pendingTimers: () => timers.size,
  };
}

describe('Coalescer', () => {
  it('paints a change on a quiet view at once, not at the end of a window', () => {
    const c = fakeClock();
    const painted: number[] = [];
    const co = new Coalescer(() => painted.push(c.now), 200, c.clock);
    assert.equal(co.quiet, true);
    co.request();
    assert.deepEqual(painted, [1_000_000], 'painted synchronously, at the moment of the change');
    assert.equal(co.quiet, false, 'just painted');
    c.advance(1000);
    assert.equal(co.quiet, true);
    co.request();
    assert.deepEqual(painted, [1_000_000, 1_001_000], 'a second change a second later is painted at once too');
    assert.equal(c.pendingTimers(), 0);
  });

  it('a change right after a paint waits for the end of the window, and is painted then', () => {
    const c = fakeClock();
    let state = 0;
    const shown: { at: number; state: number }[] = [];
    const co = new Coalescer(() => shown.push({ at: c.now, state }), 200, c.clock);
    state = 1;
    co.request();
    c.advance(30);
    state = 2;
    co.request();
    c.advance(50);
    state = 3;
    co.request();
    assert.equal(shown.length, 1, 'nothing more painted inside the window');
    c.advance(200);
    assert.deepEqual(
      shown,
      [
        { at: 1_000_000, state: 1 },
        { at: 1_000_200, state: 3 },
      ],
      'the window ends with one paint that shows the latest state',
    );
  });

  it('a burst of 1,000 changes a second for 5 s costs at most 1 + one paint per window, and ends on the last state', () => {
    const c = fakeClock();
    let state = 0;
    const shown: { at: number; state: number }[] = [];
    const co = new Coalescer(() => shown.push({ at: c.now, state }), 200, c.clock);
    for (let i = 1; i <= 5000; i++) {
      state = i;
      co.request();
      c.advance(1);
    }
    c.advance(1000);
    const windows = 5000 / 200;
    assert.ok(shown.length <= 1 + windows, `${shown.length} paints for ${windows} windows`);
    assert.ok(shown.length >= windows - 1, `it kept painting during the burst (${shown.length})`);
    for (let i = 1; i < shown.length; i++)
      assert.ok(shown[i]!.at - shown[i - 1]!.at >= 200, 'paints are a window apart');
    assert.equal(shown.at(-1)!.state, 5000, 'the last change is on screen');
    // Any one second of the burst holds at most 5 paints (1000 / 200).
    for (let t = 1_000_000; t < 1_005_000; t += 100)
      assert.ok(shown.filter((s) => s.at >= t && s.at < t + 1000).length <= 5);
  });

  it('a request made while painting is not lost: it is painted at the end of the window', () => {
    const c = fakeClock();
    let paints = 0;
    const co = new Coalescer(
      () => {
        paints++;
        if (paints === 1) co.request();
      },
      200,
      c.clock,
    );
    co.request();
    assert.equal(paints, 1);
    assert.equal(co.pending, true);
    c.advance(200);
    assert.equal(paints, 2);
  });

  it('a paint that throws does not stop later changes from being painted', () => {
    const c = fakeClock();
    let paints = 0;
    const co = new Coalescer(
      () => {
        paints++;
        if (paints === 1) throw new Error('view gone');
      },
      200,
      c.clock,
    );
    assert.throws(() => co.request(), /view gone/);
    co.request();
    c.advance(200);
    assert.equal(paints, 2);
  });

  it('paints nothing after dispose, and leaves no timer behind', () => {
    const c = fakeClock();
    let paints = 0;
    const co = new Coalescer(() => paints++, 200, c.clock);
    co.request();
    co.request();
    co.dispose();
    assert.equal(c.pendingTimers(), 0);
    c.advance(1000);
    co.request();
    assert.equal(paints, 1);
  });
});

describe('Coalescer with a window that depends on the work', () => {
  it('reads the window at each request: a larger one spaces paints further', () => {
    const c = fakeClock();
    let windowMs = 200;
    const at: number[] = [];
    const co = new Coalescer(
      () => at.push(c.now - 1_000_000),
      () => windowMs,
      c.clock,
    );
    co.request();
    c.advance(10);
    co.request();
    c.advance(500);
    windowMs = 1000;
    co.request(); // 510: within 1 s of the paint at 200
    c.advance(1310);
    co.request(); // 1820: more than 200 ms but less than 1 s after the paint at 1200
    c.advance(2000);
    assert.deepEqual(at, [0, 200, 1200, 2200]);
  });

  it('under a sustained flood paints at most once per burst window, and a lone change after it still paints at once', () => {
    const c = fakeClock();
    const painted: number[] = [];
    const co = new Coalescer(() => painted.push(c.now - 1_000_000), 250, c.clock, 500);
    // 1,000 changes a second for 3 s.
    for (let i = 0; i < 3000; i++) {
      co.request();
      c.advance(1);
    }
    c.advance(1000);
    // The first at once, the second at the end of the normal window, then one per 500 ms.
    assert.deepEqual(painted.slice(0, 4), [0, 250, 750, 1250]);
    assert.ok(painted.length <= 2 + Math.ceil(3000 / 500), `${painted.length} paints in 3 s: ${painted}`);
    assert.ok(painted.at(-1)! >= 2999, 'the last change was painted');
    const before = painted.length;
    c.advance(2000);
    co.request();
    assert.equal(painted.length, before + 1, 'a change on the quiet view after the flood is painted at once');
    // A single late change inside the window is not a burst: the window after it stays 250 ms.
    c.advance(100);
    co.request();
    c.advance(250);
    c.advance(260);
    co.request();
    assert.equal(painted.length, before + 3, 'painted at once 260 ms after a single trailing paint');
  });
});
