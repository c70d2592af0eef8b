/**
 * The observer's read scripts as Redis counts them (INFO commandstats). A batch is run by its
 * SHA1 (EVALSHA_RO) and, when the server does not have the script yet, sent whole (EVAL_RO):
 * the refused EVALSHA_RO counts as a call and a failed call, so runs are calls − failed calls
 * over all four script commands.
 */
const SCRIPT_COMMAND = /^cmdstat_(eval|evalsha|eval_ro|evalsha_ro):calls=(\d+),usec=(\d+),.*failed_calls=(\d+)/gm;

export function scriptRuns(commandstats: string): number {
  let runs = 0;
  for (const m of commandstats.matchAll(SCRIPT_COMMAND)) runs += Number(m[2]) - Number(m[4]);
  return runs;
}

/** Microseconds Redis spent in the scripts (the refused EVALSHA_RO calls take next to none). */
export function scriptUsec(commandstats: string): number {
  let usec = 0;
  for (const m of commandstats.matchAll(SCRIPT_COMMAND)) usec += Number(m[3]);
  return usec;
}
