/** Query string → object, turning integer-looking values of integer fields into numbers. */
export function readQuery(url: URL, integerFields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    out[key] = integerFields.includes(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}
