// Decoding config.json's value into RawConfig fields, the way Go's encoding/json fills mesos-dns's
// Config struct: keys match fields case-insensitively, the last duplicate wins, unknown keys are
// ignored (with a warning), null leaves a field alone (slices and maps become nil). Each value is
// checked against its key's kind (schema.ts); every problem is collected, none stops the rest.
import { ConfigError } from '../errors.js';
import { FIELDS, KEYS, BY_LOWER, RAW_DEFAULTS, type Kind, type RawConfig } from './schema.js';
import { unknownKeyWarning } from './did-you-mean.js';

export const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Problems {
  readonly errors: ConfigError[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly written: Map<keyof RawConfig, string>) {}
  /** The key as the operator wrote it, else its canonical name. */
  name(field: keyof RawConfig): string {
    return this.written.get(field) ?? field;
  }
  given(field: keyof RawConfig): boolean {
    return this.written.has(field);
  }
  error(field: keyof RawConfig | string, reason: string): void {
    const key = (FIELDS as string[]).includes(field) ? this.name(field as keyof RawConfig) : field;
    this.errors.push(new ConfigError(key, reason));
  }
}

/** Whether `resolvers` would be filled from /etc/resolv.conf, so loadConfig reads it only then. */
export function wantsResolvConf(raw: unknown): boolean {
  if (!isObject(raw)) return false;
  const values = matchKeys(raw).values;
  const external = values.get('ExternalOn');
  const resolvers = values.get('Resolvers');
  return external !== false && (resolvers === null || (Array.isArray(resolvers) && resolvers.length === 0));
}

/** Go encoding/json: a key matches the field whose name equals it ignoring case; the last one wins. */
export function matchKeys(raw: Record<string, unknown>): {
  values: Map<keyof RawConfig, unknown>;
  written: Map<keyof RawConfig, string>;
  warnings: string[];
} {
  const values = new Map<keyof RawConfig, unknown>();
  const written = new Map<keyof RawConfig, string>();
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = BY_LOWER.get(key.toLowerCase());
    if (field === undefined) {
      warnings.push(unknownKeyWarning(key, FIELDS));
      continue;
    }
    const earlier = written.get(field);
    if (earlier !== undefined) warnings.push(`key "${key}" repeats "${earlier}"; the last one is used`);
    values.set(field, value);
    written.set(field, key);
  }
  return { values, written, warnings };
}

export function decodeAll(values: Map<keyof RawConfig, unknown>, c: RawConfig, p: Problems): void {
  const out = c as unknown as Record<keyof RawConfig, unknown>;
  for (const [field, value] of values) {
    const kind = KEYS[field].kind;
    if (kind.t === 'ignored') {
      p.warnings.push(`key "${p.name(field)}" ignored: ${kind.why}`);
      continue;
    }
    // Go's encoding/json leaves a field alone for null, except that slices and maps become nil.
    if (value === null) {
      if (kind.t === 'strings') out[field] = field === 'Masters' ? null : [];
      if (kind.t === 'zones') out[field] = {};
      continue;
    }
    const decoded = decode(kind, value, field, p);
    if (decoded !== undefined) out[field] = decoded;
  }
}

function decode(kind: Kind, value: unknown, field: keyof RawConfig, p: Problems): unknown {
  switch (kind.t) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < kind.min || value > kind.max) {
        p.error(field, `must be ${kind.rule}, got ${show(value)}`);
        return undefined;
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') {
        p.error(field, `must be true or false, got ${show(value)}`);
        return undefined;
      }
      return value;
    case 'string':
      if (typeof value !== 'string') {
        p.error(field, `must be a string, got ${show(value)}`);
        return undefined;
      }
      return value;
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        p.error(field, `must be a list of strings, got ${show(value)}`);
        return undefined;
      }
      return [...value];
    case 'zones':
      return decodeZones(value, field, p);
    case 'credentials':
      return decodeCredentials(value, field, p);
    case 'ignored':
      return undefined;
  }
}

function decodeZones(value: unknown, field: keyof RawConfig, p: Problems): Record<string, string[]> | undefined {
  if (!isObject(value)) {
    p.error(field, `must be an object of zone -> list of resolvers, got ${show(value)}`);
    return undefined;
  }
  const zones: Record<string, string[]> = {};
  const original = new Map<string, string>();
  let ok = true;
  for (const [zone, list] of Object.entries(value)) {
    // Zone names are compared as lower-case relative names (RFC 4343: DNS names are case-insensitive).
    const key = zone.toLowerCase().replace(/\.+$/, '');
    if (list === null || !Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
      p.error(field, `zone ${show(zone)}: must be a list of resolver addresses, got ${show(list)}`);
      ok = false;
      continue;
    }
    const earlier = original.get(key);
    if (earlier !== undefined) {
      p.error(field, `zones ${show(earlier)} and ${show(zone)} are the same zone`);
      ok = false;
      continue;
    }
    original.set(key, zone);
    Object.defineProperty(zones, key, { value: [...list], enumerable: true, writable: true, configurable: true });
  }
  return ok ? zones : undefined;
}

function decodeCredentials(value: unknown, field: keyof RawConfig, p: Problems): RawConfig['MesosCredentials'] | undefined {
  if (!isObject(value)) {
    p.error(field, `must be an object {"principal": ..., "secret": ...}, got ${show(value)}`);
    return undefined;
  }
  const creds = { ...RAW_DEFAULTS.MesosCredentials };
  let ok = true;
  for (const [key, v] of Object.entries(value)) {
    const sub = key.toLowerCase() === 'principal' ? 'Principal' : key.toLowerCase() === 'secret' ? 'Secret' : undefined;
    if (sub === undefined) {
      p.warnings.push(`unknown key "${p.name(field)}.${key}" ignored`);
      continue;
    }
    if (v === null) continue;
    if (typeof v !== 'string') {
      // Never echo a secret, even a mistyped one: errors end up in logs.
      p.error(`${p.name(field)}.${key}`, `must be a string, got ${sub === 'Secret' ? typeof v : show(v)}`);
      ok = false;
      continue;
    }
    creds[sub] = v;
  }
  return ok ? creds : undefined;
}

