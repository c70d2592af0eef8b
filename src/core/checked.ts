/**
 * The one checked conversion for values that came from a store (a Redis record, a
 * Supabase row, a heartbeat file, a log line, a stream entry). Store data is
 * untrusted: a worker, a bug or an attacker can write any bytes. Parsers bound what
 * they keep; renderers escape what they show. Every function here is total: it never
 * throws, whatever it is given.
 */

/**
 * Timestamps outside this range are not heartbeats (a duration in the wrong field, a
 * unit mix-up, `1e300`): refused with a reason rather than shown as a date nobody can
 * render (`toISOString` throws past ±8.64e15 ms).
 */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
export const MAX_TIME_MS = Date.UTC(2200, 0, 1);

/** A text value kept from a store is at most this long: the tooltip and exports show it whole up to here. */
export const MAX_TEXT = 4096;

/** Lengths for display: a table cell or tree label, and a tooltip or message line. */
export const SHORT_TEXT = 60;

export function isSaneTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_TIME_MS && ms < MAX_TIME_MS;
}

/** An ISO string for any number, never a throw: what renderers call instead of `toISOString`. */
export function isoOf(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `(not a date: ${String(ms)})` : d.toISOString();
}

/** Days in a month of the proleptic Gregorian calendar (`2024-02-30` does not exist). */
export function daysInMonth(year: number, month1: number): number {
  // Arithmetic, not a Date: this runs for every timestamp of every worker of a full read.
  if (month1 === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return DAYS_IN_MONTH[month1 - 1];
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A stored text bounded to MAX_TEXT characters; what is cut is said, not hidden.
 * Characters are kept as written (escaping is for display: the worker id must stay the
 * store's key, so a restart request still names the worker the store knows).
 */
export function boundedText(s: string, max = MAX_TEXT): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… (${s.length - max} more characters)`;
}

/**
 * C0/C1 controls, DEL, and the Unicode format characters that reorder or hide text:
 * bidi embeddings/overrides/isolates (U+202A–202E, U+2066–2069), marks (U+200E/F,
 * U+061C), zero-width characters (U+200B–200D, U+2060, U+FEFF), line/paragraph
 * separators. A name holding U+202E could show as another worker's name.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const UNSAFE_KEEP_LINES =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Text safe to show on one line: every unsafe character written out visibly as `\u202E`
 * (so a spoof is seen, not obeyed), then cut to `max` characters with an ellipsis.
 * Escaping first, so the cut never splits an escape into a raw character.
 */
export function displayText(s: string, max = SHORT_TEXT): string {
  const escaped = String(s).replace(UNSAFE, escapeChar);
  return escaped.length <= max ? escaped : `${escaped.slice(0, Math.max(0, max - 1))}…`;
}

/** Like displayText for multi-line text (log messages, tracebacks): newlines and tabs stay. */
export function displayLines(s: string, max = MAX_TEXT): string {
  const escaped = String(s).replace(UNSAFE_KEEP_LINES, escapeChar);
  return escaped.length <= max ? escaped : `${escaped.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * JSON for a terminal or a log: JSON.stringify already escapes C0 controls; this also
 * writes the bidi and other format characters as `\uXXXX` escapes. The document means
 * exactly the same to a parser; only a terminal no longer obeys them.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    escapeChar,
  );
}

/**
 * Copies a parsed record into an object with no prototype, so keys such as
 * `__proto__`, `constructor` or `toString` are plain data: readable, and never
 * confused with (or able to change) Object.prototype's members.
 */
export function plainRecord(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** An own property only: `record['constructor']` of a `{}` is Object, not a field the store wrote. */
export function ownField(record: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}
