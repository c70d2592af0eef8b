/**
 * Argv templates: `["pm2", "restart", "${worker}"]`, `["systemctl", "restart", "worker@${worker}"]`,
 * `["worker-manager", "scale", "${count}"]`. Placeholders are substituted inside each
 * argument and the result goes to execFile as an array, never through a shell, so a
 * worker named `a; rm -rf ~` or `$(reboot)` reaches the program as one literal argument.
 */

export type Placeholder = 'worker' | 'count';

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const KNOWN: ReadonlySet<string> = new Set<Placeholder>(['worker', 'count']);

export interface TemplateResult {
  argv?: string[];
  error?: string;
}

/**
 * Reads a template as written in settings or on the command line: a JSON array of
 * strings, or words separated by spaces (no quoting: a word with a space needs the
 * JSON form). `allowed` are the placeholders this action can fill.
 */
export function parseArgvTemplate(raw: unknown, allowed: readonly Placeholder[], what = 'command'): TemplateResult {
  let argv: unknown = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text.startsWith('[')) {
      try {
        argv = JSON.parse(text);
      } catch {
        return { error: `${what}: not a valid JSON array: ${text}` };
      }
    } else {
      argv = text.split(/\s+/).filter(Boolean);
    }
  }
  if (!Array.isArray(argv) || argv.length === 0)
    return { error: `${what} should be a non-empty list of arguments, e.g. ["pm2", "restart", "\${worker}"]` };
  if (!argv.every((a): a is string => typeof a === 'string'))
    return { error: `${what}: every argument should be a string` };
  if (argv[0].length === 0) return { error: `${what}: the program name is empty` };
  // The program itself is never chosen by data from the store.
  if (argv[0].includes('${')) return { error: `${what}: the program (first argument) cannot contain a placeholder` };
  for (const a of argv) {
    for (const m of a.matchAll(PLACEHOLDER)) {
      const name = m[1];
      if (!KNOWN.has(name)) return { error: `${what}: unknown placeholder \${${name}} (use \${worker} or \${count})` };
      if (!allowed.includes(name as Placeholder))
        return {
          error: `${what}: \${${name}} has no value here (this command can use ${allowed.map((p) => `\${${p}}`).join(', ') || 'no placeholders'})`,
        };
    }
  }
  return { argv: [...argv] };
}

/**
 * Substitutes the values into each argument. Refuses a value that would turn an
 * argument into an option (`--force` as a worker name in `["pm2", "restart", "${worker}"]`):
 * no shell is involved, but the program would still read it as a flag.
 */
export function expandArgv(
  template: readonly string[],
  values: Partial<Record<Placeholder, string | number>>,
): TemplateResult {
  const out: string[] = [];
  for (const arg of template) {
    let missing: string | undefined;
    const expanded = arg.replace(PLACEHOLDER, (_m, name: string) => {
      const v = values[name as Placeholder];
      if (v === undefined) {
        missing = name;
        return '';
      }
      return String(v);
    });
    if (missing) return { error: `no value for \${${missing}}` };
    if (expanded.includes('\0')) return { error: 'a value contains a NUL character' };
    if (expanded.startsWith('-') && !arg.startsWith('-'))
      return { error: `"${expanded}" would be read as an option by ${template[0]}; refused` };
    out.push(expanded);
  }
  return { argv: out };
}

/** Which placeholders a template uses (for the confirmation text and validation). */
export function placeholdersOf(template: readonly string[]): Placeholder[] {
  const found = new Set<Placeholder>();
  for (const a of template)
    for (const m of a.matchAll(PLACEHOLDER)) if (KNOWN.has(m[1])) found.add(m[1] as Placeholder);
  return [...found];
}

/**
 * An argv shown to a person: each argument JSON-quoted when it has anything a reader
 * could misread (spaces, quotes, shell characters), so the confirmation shows exactly
 * what will run.
 */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}
