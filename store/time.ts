/** Timestamps leave the store as ISO-8601 UTC strings, the same text on both drivers. */
export function iso(date: Date): string {
  return date.toISOString();
}

export function isoOrNull(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/**
 * The instant to store: now when omitted, else a copy of the caller's Date (so mutating it later
 * cannot change the row object we return). Both drivers keep the milliseconds a Date carries, so
 * what is returned from a write equals what a later read gives.
 */
export function toMs(date: Date | undefined): Date {
  return new Date(Math.floor((date ?? new Date()).getTime()));
}

/** Parses a JSON array column keeping the items `isItem` accepts; a damaged value reads as [] instead of failing the whole query. */
export function parseJsonArray<T>(text: string, isItem: (v: unknown) => v is T): T[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter(isItem) : [];
  } catch {
    return [];
  }
}
