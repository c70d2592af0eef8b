import type { RedisKeys } from '../../core/connectionConfig';
import type { FieldMap } from '../../core/record';

/**
 * The orchestrator preset: the layout of seeds 000/001 (a Python orchestrator with a
 * lock-free Redis state manager). Every key and field can be overridden per connection.
 */
export const ORCHESTRATOR_KEYS: RedisKeys = {
  activeSet: 'active_workers',
  state: 'worker:state:{id}',
  completedCounter: 'worker:{id}:completed',
  errorsCounter: 'worker:{id}:errors',
  eventStreams: ['events:stream', 'stream:worker_events'],
};

export const ORCHESTRATOR_FIELDS: FieldMap = {
  name: 'name',
  status: 'status',
  lastHeartbeat: 'last_activity',
  task: 'current_task',
  completed: 'total_completed',
  errors: 'total_errors',
  specialization: 'specialization',
  pid: 'pid',
  host: 'host',
};

export function keyFor(template: string, id: string): string {
  return template.split('{id}').join(id);
}
