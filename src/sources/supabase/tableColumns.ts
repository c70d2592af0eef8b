import type { FieldMap } from '../../core/record';

/**
 * Which columns a heartbeat-table read asks PostgREST for, and which of them the table may
 * lack. Seed 003 only promises `worker_name`, `status` and `last_heartbeat` (its own
 * migration inserts nothing else); pid, uptime, memory and the counters are details some
 * tables have, some keep inside a JSON column, many do not have at all. Asking for one the
 * table lacks fails the whole `select`, so a preset's optional column is left out once
 * the table is known to lack it — the fleet shows without those details.
 *
 * Found by the read itself: PostgreSQL names the first missing column, and one row read
 * with every column (`select=*`) tells the others (or, in an empty table, each is left out
 * in turn). Not from PostgREST's OpenAPI description at the REST root: Supabase serves
 * that to the service key only, and Worker Lens reads with the anon key.
 *
 * Required, and an error in the view when missing: the column naming each worker, every
 * column the user mapped by hand in `columns` (they said it is there), and at least one
 * of the status and heartbeat columns (without both nothing tells a live worker apart).
 */
export class TableColumns {
  /** Top-level columns in read order, the id column first. */
  private readonly wanted: string[];
  private readonly required: Set<string>;
  /** The status and heartbeat columns (top level). */
  private readonly liveness: string[];
  /** Optional columns the table was found to lack: left out of the select. */
  private readonly skipped = new Set<string>();

  constructor(
    fields: FieldMap,
    readonly idColumn: string,
    handMapped: Partial<FieldMap>,
  ) {
    const top = (c: string | undefined) => c?.split('.')[0];
    this.wanted = [...new Set([idColumn, ...Object.values(fields).map(top)].filter((c): c is string => Boolean(c)))];
    this.required = new Set([idColumn, ...Object.values(handMapped).map(top)].filter((c): c is string => Boolean(c)));
    this.liveness = [
      ...new Set([top(fields.status), top(fields.lastHeartbeat)].filter((c): c is string => Boolean(c))),
    ];
  }

  /** The `select` for PostgREST: every wanted column not known to be missing. */
  get select(): string {
    return this.wanted.filter((c) => !this.skipped.has(c)).join(',');
  }

  /** Optional columns left out now (for a recheck and the log). */
  get missing(): string[] {
    return [...this.skipped];
  }

  /**
   * A read failed naming `column` as missing. True when it is optional and now left out
   * (read again); false when its absence is an error to show.
   */
  leaveOut(column: string): boolean {
    if (this.required.has(column) || this.skipped.has(column) || !this.wanted.includes(column)) return false;
    this.skipped.add(column);
    return true;
  }

  /** A row with every column (`select=*`) lacks these optional ones: all left out at once. */
  leaveOutAllBut(present: Iterable<string>): string[] {
    const has = new Set(present);
    return this.wanted.filter((c) => !has.has(c) && this.leaveOut(c));
  }

  /** Neither a status nor a heartbeat column is left: the columns to name in the error. */
  get livenessGone(): string[] | undefined {
    return this.liveness.length > 0 && this.liveness.every((c) => this.skipped.has(c)) ? this.liveness : undefined;
  }

  /** A row's keys (a `select=*` row has every column): the left-out columns it has are read again. */
  readmit(columns: Iterable<string>): string[] {
    const back: string[] = [];
    for (const c of columns) if (this.skipped.delete(c)) back.push(c);
    return back;
  }
}

/**
 * The column a PostgREST / PostgreSQL error names as missing: PostgreSQL's 42703
 * ("column hp_worker_status.pid does not exist", quoted when not lower case) or
 * PostgREST's own schema-cache wording ("Could not find the 'pid' column of …").
 */
export function missingColumnIn(err: { code?: string; message?: string } | null | undefined): string | undefined {
  const msg = err?.message ?? '';
  const pg = /column (?:(?:"[^"]+"|[^\s."]+)\.)?(?:"([^"]+)"|([^\s."]+)) does not exist/.exec(msg);
  if (pg) return pg[1] ?? pg[2];
  const rest = /Could not find the '([^']+)' column/.exec(msg);
  return rest?.[1];
}

/** Columns for a message: "a, b and c" (or "a nor b"). */
export function names(columns: string[], last = 'and'): string {
  return columns.length > 1 ? `${columns.slice(0, -1).join(', ')} ${last} ${columns[columns.length - 1]}` : columns[0];
}
