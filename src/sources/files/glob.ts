import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * A file-name glob (`*.json`, `worker-?.log`, `{a,b}.json`, `[0-9]*.json`) as a RegExp.
 * Only one path segment: folders of heartbeat and log files are flat, and a tiny
 * matcher keeps the source free of dependencies. Like shells, `*` does not match a
 * leading dot, so the hidden temp files of atomic writers (`.worker-1.json.tmp`) never match.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inClass = false;
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (inClass) {
      if (c === ']') inClass = false;
      re += c === '\\' ? '\\\\' : c;
      continue;
    }
    switch (c) {
      case '*':
        re += '[^/]*';
        break;
      case '?':
        re += '[^/]';
        break;
      case '[':
        inClass = true;
        re += glob[i + 1] === '!' ? (i++, '[^') : '[';
        break;
      case '{':
        braces++;
        re += '(?:';
        break;
      case '}':
        if (braces > 0) {
          braces--;
          re += ')';
        } else re += '\\}';
        break;
      case ',':
        re += braces > 0 ? '|' : ',';
        break;
      default:
        re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  // Said in words rather than left to RegExp's "Unterminated group".
  if (inClass || braces > 0) throw new Error(`the pattern "${glob}" has an unclosed "${inClass ? '[' : '{'}"`);
  const hiddenOk = glob.startsWith('.');
  return new RegExp(`^${hiddenOk ? '' : '(?!\\.)'}${re}$`);
}

/** `~/x` → the home folder; relative paths resolve against `base`. */
export function expandPath(p: string, base?: string): string {
  const home = p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
  return isAbsolute(home) ? home : resolve(base ?? process.cwd(), home);
}

/**
 * Splits `~/.claude/workers/errors/worker-*.log` into the folder to watch and the
 * file-name pattern. Wildcards are allowed in the last segment only (said in words
 * to the user when not).
 */
export function splitGlob(glob: string, base?: string): { dir: string; pattern: string; error?: string } {
  const full = expandPath(glob, base);
  const dir = dirname(full);
  const pattern = basename(full);
  if (/[*?[{]/.test(dir)) {
    return { dir, pattern, error: `Log glob "${glob}": wildcards are supported in the file name only, not in folders` };
  }
  return { dir, pattern };
}

/** The worker id a file name implies: `worker-3.log` → `worker-3`, `w1.heartbeat.json` → `w1.heartbeat`. */
export function stemOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}
