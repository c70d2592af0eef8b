/**
 * The entries that are set: an option passed as undefined (an unset CLI flag, a missing
 * setting) or as '' (a cleared setting) keeps its default when spread over defaults.
 */
export function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}
