/** Timestamps leave the store as ISO-8601 UTC strings, the same text on both drivers. */
export function iso(date: Date): string {
  return date.toISOString();
}

export function isoOrNull(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/**
 * Both drivers keep milliseconds; PostgreSQL would keep microseconds too, which a later JS Date
 * comparison could not see. Truncating on the way in makes what was written equal what is read.
 */
export function toMs(date: Date | undefined): Date {
  return new Date(Math.floor((date ?? new Date()).getTime()));
}

/** Parses a JSON text column; a damaged value reads as `fallback` instead of failing the whole query. */
export function parseJsonArray<T>(text: string, isItem: (v: unknown) => v is T): T[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter(isItem) : [];
  } catch {
    return [];
  }
}
