/**
 * Finds file references in log text that a developer wants to click: Python
 * traceback frames, Node stack frames and the plain `path:line[:col]` most tools
 * print. Pure text work; whether a path exists in the workspace is the host's call.
 */
export interface StackLink {
  /** Span of `text` to show as the link (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
  path: string;
  /** 1-based. */
  line: number;
  column?: number;
}

// Source-like extensions only: a bare `example.com:8080` or `127.0.0.1:6379` must not become a link.
const EXT =
  'py|pyw|pyx|js|mjs|cjs|jsx|ts|mts|cts|tsx|go|rs|rb|java|kt|kts|scala|c|cc|cpp|cxx|h|hh|hpp|cs|fs|php|sh|bash|zsh|lua|swift|ex|exs|erl|hs|ml|clj|dart|r|jl|pl|pm|sql|vue|svelte|json|jsonc|yaml|yml|toml|ini|cfg|conf|md|txt|log|html|css|scss|xml|gradle|tf';

/** Python: `File "/app/worker.py", line 42, in run`. */
const PYTHON = /File "([^"\n]+)", line (\d+)/g;
/** Node: `at fn (/app/my dir/x.js:12:5)`: inside the parentheses a path may hold spaces. */
const NODE = /\bat (?:[^()\n]*?)\(((?:file:\/\/)?[^()\n]+?):(\d+):(\d+)\)/g;
/**
 * Plain `path:line[:col]`, `path(line,col)` (tsc, MSBuild) and Node's bare `at /x.js:1:2`.
 * The path starts at a boundary so a URL's `host:port` never matches.
 */
const PLAIN = new RegExp(
  `(?<=^|[\\s("'\`\\[<=,>])((?:file:\\/\\/)?(?:[A-Za-z]:)?[\\w.~@+\\-\\/\\\\]*\\.(?:${EXT}))(?::(\\d+)(?::(\\d+))?|\\((\\d+),(\\d+)\\))(?![\\w.])`,
  'g',
);

/** Every link in `text`, in order, never overlapping. */
export function findStackLinks(text: string): StackLink[] {
  if (text.length > 4000) text = text.slice(0, 4000); // a huge line is not a stack frame; keep it cheap
  const out: StackLink[] = [];
  const taken = (s: number, e: number) => out.some((l) => s < l.end && e > l.start);
  const add = (start: number, end: number, rawPath: string, line: string, col?: string) => {
    const path = cleanPath(rawPath);
    const n = Number(line);
    if (!path || !(n >= 1) || taken(start, end)) return;
    const link: StackLink = { start, end, path, line: n };
    if (col !== undefined && Number(col) >= 1) link.column = Number(col);
    out.push(link);
  };

  for (const m of text.matchAll(PYTHON)) {
    const p = m[1]!;
    if (p.startsWith('<')) continue; // <frozen importlib._bootstrap>, <string>: no file behind it
    const start = m.index! + 'File "'.length;
    add(start, start + p.length, p, m[2]!); // the path is the link; `line N` stays plain text
  }
  for (const m of text.matchAll(NODE)) {
    const p = m[1]!;
    if (/^(node|internal)[:/]|^<anonymous>$|^native$/.test(p)) continue;
    const start = m.index! + m[0].indexOf('(') + 1;
    add(start, m.index! + m[0].length - 1, p, m[2]!, m[3]);
  }
  for (const m of text.matchAll(PLAIN)) {
    const start = m.index!;
    add(start, start + m[0].length, m[1]!, m[2] ?? m[4]!, m[3] ?? m[5]);
  }
  return out.sort((a, b) => a.start - b.start);
}

function cleanPath(p: string): string {
  let s = p.trim();
  if (s.startsWith('file://')) {
    try {
      s = decodeURIComponent(s.slice('file://'.length));
    } catch {
      s = s.slice('file://'.length);
    }
    if (/^\/[A-Za-z]:\//.test(s)) s = s.slice(1); // file:///C:/x → C:/x
  }
  return s;
}
