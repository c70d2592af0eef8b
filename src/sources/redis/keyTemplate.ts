/**
 * Key templates (`worker:state:{id}`) turned into the three things the push paths
 * need: the glob to PSUBSCRIBE to, and a way back from a key to the worker id —
 * exactly (a keyspace channel names the whole key) or inside a longer text (an
 * event entry may carry a prefixed key such as `lockfree:worker:state:w1`).
 */

/** The Redis glob matching every key of the template: `{id}` → `*`, glob characters escaped. */
export function globFor(template: string): string {
  return template.split('{id}').map(escapeGlob).join('*');
}

export function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** The id in `key` if `key` is exactly an instance of `template`, else undefined. */
export function idFromKey(template: string, key: string): string | undefined {
  if (!template.includes('{id}')) return undefined;
  const m = exactRegex(template).exec(key);
  return m?.[1] || undefined;
}

/**
 * The id of the first instance of `template` inside `text`. The id runs up to the
 * template's suffix or, when the template ends with `{id}`, up to a delimiter
 * (space, quote, comma, brace, bracket, semicolon).
 */
export function idInText(template: string, text: string): string | undefined {
  if (!template.includes('{id}')) return undefined;
  const m = containedRegex(template).exec(text);
  return m?.[1] || undefined;
}

const exactCache = new Map<string, RegExp>();
const containedCache = new Map<string, RegExp>();

function exactRegex(template: string): RegExp {
  let re = exactCache.get(template);
  if (!re) {
    const [pre, ...rest] = template.split('{id}');
    // Later `{id}` occurrences (rare) must repeat the same id: a backreference.
    re = new RegExp(`^${escapeRe(pre)}(.+?)${rest.map((p) => escapeRe(p)).join('\\1')}$`);
    exactCache.set(template, re);
  }
  return re;
}

function containedRegex(template: string): RegExp {
  let re = containedCache.get(template);
  if (!re) {
    const [pre, ...rest] = template.split('{id}');
    const idChars = `[^\\s"'{},;\\[\\]]+`;
    const lazy = rest.some((p) => p.length > 0);
    re = new RegExp(`${escapeRe(pre)}(${idChars}${lazy ? '?' : ''})${rest.map((p) => escapeRe(p)).join('\\1')}`);
    containedCache.set(template, re);
  }
  return re;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
