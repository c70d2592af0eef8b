import { bullmqLayout } from './bullmq';
import { celeryLayout } from './celery';
import type { FrameworkId, FrameworkLayout } from './framework';
import { rqLayout } from './rq';
import { sidekiqLayout } from './sidekiq';

/** Each framework's layout, by preset name: a new framework is its file and one line here. */
const LAYOUTS: Partial<Record<FrameworkId, () => FrameworkLayout>> = {
  rq: rqLayout,
  sidekiq: sidekiqLayout,
  celery: celeryLayout,
  bullmq: bullmqLayout,
};

/** Fresh layouts (each remembers what it saw) for these frameworks, or for every one known. */
export function layoutsFor(ids?: FrameworkId[]): FrameworkLayout[] {
  const wanted = ids ?? (Object.keys(LAYOUTS) as FrameworkId[]);
  return wanted.flatMap((id) => LAYOUTS[id]?.() ?? []);
}

/** The preset names a Redis connection may give for a framework fleet. */
export function isFrameworkPreset(preset: unknown): preset is FrameworkId {
  return typeof preset === 'string' && Object.hasOwn(LAYOUTS, preset);
}
