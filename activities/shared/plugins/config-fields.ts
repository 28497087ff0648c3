// Small readers for plugin settings: each throws InputError naming the field and what it
// expected, so a bad configuration is refused with a precise reason at the API and the agent.
import { InputError } from '../../../contract/errors';

export type RawSettings = Record<string, unknown>;

export function settingsObject(raw: unknown, plugin: string): RawSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`${plugin}: settings must be an object`);
  return raw as RawSettings;
}

/** Refuses fields the plugin does not know (a typo would otherwise be ignored silently). */
export function onlyFields(raw: RawSettings, plugin: string, known: readonly string[]): void {
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new InputError(`${plugin}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
}

export function requiredString(raw: RawSettings, plugin: string, field: string): string {
  const v = raw[field];
  if (typeof v !== 'string' || v.trim() === '') throw new InputError(`${plugin}: "${field}" is required and must be a non-empty string`);
  return v;
}

export function optionalString(raw: RawSettings, plugin: string, field: string): string | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new InputError(`${plugin}: "${field}" must be a non-empty string`);
  return v;
}

export function optionalInteger(raw: RawSettings, plugin: string, field: string, min: number, max: number): number | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InputError(`${plugin}: "${field}" must be an integer from ${min} to ${max}`);
  return v;
}

export function optionalBoolean(raw: RawSettings, plugin: string, field: string): boolean | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new InputError(`${plugin}: "${field}" must be true or false`);
  return v;
}

export function optionalStringList(raw: RawSettings, plugin: string, field: string): string[] | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) throw new InputError(`${plugin}: "${field}" must be a list of non-empty strings`);
  return v as string[];
}

export function oneOf<T extends string>(raw: RawSettings, plugin: string, field: string, values: readonly T[], fallback: T): T {
  const v = raw[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !values.includes(v as T)) throw new InputError(`${plugin}: "${field}" must be one of ${values.join(', ')}`);
  return v as T;
}

export function absolutePath(raw: RawSettings, plugin: string, field: string, required: true): string;
export function absolutePath(raw: RawSettings, plugin: string, field: string, required: false): string | undefined;
export function absolutePath(raw: RawSettings, plugin: string, field: string, required: boolean): string | undefined {
  const v = required ? requiredString(raw, plugin, field) : optionalString(raw, plugin, field);
  if (v === undefined) return undefined;
  if (!v.startsWith('/') || v.split('/').includes('..')) throw new InputError(`${plugin}: "${field}" must be an absolute path without ".."`);
  return v;
}
