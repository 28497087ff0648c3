// Settings and secrets typed as JSON objects in a textarea (notification channels, plugin
// configurations: each kind has its own fields, which the API validates).

/** `{}` for blank text; the object typed; or an error message for the field. */
export function parseJsonObject(text: string): { value: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { value: {} };
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'must be a JSON object, e.g. {"url": "https://…"}' };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    return { error: `is not valid JSON: ${(e as Error).message}` };
  }
}
