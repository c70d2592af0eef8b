/** One Celery event, as the worker sent it (only the fields Worker Lens reads). */
export interface CeleryEvent {
  type: string;
  hostname?: string;
  timestamp?: number;
  freq?: number;
  active?: number;
  processed?: number;
  pid?: number;
  uuid?: string;
  name?: string;
  /** task-failed: the exception's repr and the formatted traceback. */
  exception?: string;
  traceback?: string;
  /** task-succeeded: seconds the task ran. */
  runtime?: number;
}

/**
 * A kombu envelope from `/<db>.celeryev/<routing key>` → its events: JSON whose `body` is
 * base64 of the event as JSON (one event, or a list when events were buffered). Never
 * throws: what does not decode comes back as a problem in words, with the sender when known.
 */
export function decodeCeleryEvents(message: string): { events: CeleryEvent[]; problem?: string; hostname?: string } {
  let envelope: { body?: unknown; headers?: { hostname?: unknown }; 'content-type'?: unknown };
  try {
    envelope = JSON.parse(message);
  } catch (err) {
    return { events: [], problem: `the envelope is not JSON (${(err as Error).message})` };
  }
  const hostname = typeof envelope?.headers?.hostname === 'string' ? envelope.headers.hostname : undefined;
  if (typeof envelope?.body !== 'string') return { events: [], problem: 'the envelope has no body', hostname };
  if (envelope['content-type'] !== undefined && envelope['content-type'] !== 'application/json') {
    return {
      events: [],
      problem: `content-type ${String(envelope['content-type']).slice(0, 40)} is not read (only JSON)`,
      hostname,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(envelope.body, 'base64').toString('utf8'));
  } catch (err) {
    return { events: [], problem: `the body is not base64 JSON (${(err as Error).message})`, hostname };
  }
  const list = Array.isArray(body) ? body : [body];
  const events = list.filter(
    (e): e is CeleryEvent => !!e && typeof e === 'object' && typeof (e as CeleryEvent).type === 'string',
  );
  return events.length === list.length ? { events } : { events, problem: 'an event has no type', hostname };
}
