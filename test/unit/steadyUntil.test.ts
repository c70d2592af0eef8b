import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { Fleet } from '../../src/core/fleet';
import { classify } from '../../src/core/health';
import { DEFAULT_THRESHOLDS, type WorkerSnapshot } from '../../src/core/model';

/*
 * The session's clock skips workers whose health cannot have moved (health.ts steadyUntil).
 * Whatever the records and however the clock advances, what the fleet shows must be what
 * judging every worker afresh says.
 */
const T0 = 1_700_000_000_000;
const STATUSES = ['idle', 'working', 'busy', 'crashed', 'stopped', 'starting', 'quiet', undefined, 'odd'];

const snapshot = fc.record({
  status: fc.constantFrom(...STATUSES),
  beatAgo: fc.option(fc.integer({ min: -120_000, max: 3_600_000 }), { nil: undefined }),
  taskAgo: fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
  gone: fc.boolean(),
  liveness: fc.option(fc.integer({ min: 1_000, max: 600_000 }), { nil: undefined }),
});

it('judging only unsteady workers each tick shows what judging everyone would', () => {
  fc.assert(
    fc.property(
      fc.array(snapshot, { minLength: 1, maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 40 }),
      (records, steps) => {
        let now = T0;
        const fleet = new Fleet(DEFAULT_THRESHOLDS, () => now);
        fleet.setConnection({ state: 'connected' });
        const snaps: WorkerSnapshot[] = records.map((r, i) => ({
          id: `w${i}`,
          name: `w${i}`,
          status: r.status,
          lastHeartbeat: r.beatAgo === undefined ? undefined : T0 - r.beatAgo,
          task: r.taskAgo === undefined ? undefined : { title: 't', startedAt: T0 - r.taskAgo },
          gone: r.gone ? 'its connection closed' : undefined,
          liveness:
            r.liveness === undefined
              ? undefined
              : { unresponsiveAfterMs: r.liveness, deadAfterMs: 2 * r.liveness, rule: 'test' },
          problems: [],
        }));
        fleet.replaceAll(snaps);
        for (const step of steps) {
          now += step;
          fleet.reclassify();
          for (const w of fleet.workers()) {
            const fresh = classify(w.snapshot, DEFAULT_THRESHOLDS, now, fleet.cadenceOf(w.snapshot.id));
            assert.equal(w.health, fresh.health, `${w.snapshot.id} at +${now - T0} ms`);
            assert.equal(w.reason, fresh.reason, `${w.snapshot.id} at +${now - T0} ms`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
