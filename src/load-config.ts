// Reading config.json into a validated Config.
//
// parseConfig is pure: the file's JSON value plus the few facts of the machine it needs (the file's
// path, /etc/resolv.conf, local addresses, the clock) go in as parameters, so every rule is testable
// from a table. loadConfig is the I/O around it: find and read the file, gather those facts only when
// the file needs them, then check the files the config names (CA, client cert, IAM account).
//
// Compatibility rules come from mesos-dns (records/config.go, records/validation.go): keys match
// Config fields case-insensitively like Go's encoding/json, unknown keys are ignored, and the
// normalisations (domain, SOA names, timeout 0) are the same. Where mesos-dns accepts something that
// later crashes or silently misbehaves (a port of 70000, refreshSeconds 0, a listener that is not an
// address), we reject it here with the key's name and the reason, and we report every problem at once.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile as fsReadFile } from 'node:fs/promises';
import { networkInterfaces as osNetworkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import path from 'node:path';
import { DEFAULTS, type Config, type IPSource, type MesosAuthentication } from './config.js';
import { ConfigError, ConfigErrors } from './errors.js';
import { canonicalIP, parseMasterAddress, parseResolverAddress } from './addresses.js';
import { parseZkUrl } from './mesos/zk-url.js';

/** Facts of the machine that parseConfig needs; loadConfig gathers them. */
export interface ConfigEnv {
  /** Absolute path of the config file; becomes Config.File. */
  file: string;
  /** Contents of /etc/resolv.conf; read only when `resolvers` is an explicit [] and externalon. */
  resolvConf: string;
  /** IPs of local interfaces; these are never used as upstream resolvers (we would ask ourselves). */
  localAddresses: readonly string[];
  /** Unix seconds; becomes SOASerial. */
  now: number;
}

/** What loadConfig touches outside the process, injectable for tests. */
export interface LoadDeps {
  readFile(file: string): Promise<string>;
  /** Unix seconds. */
  now(): number;
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Environment for `~/` expansion (HOME, then USERPROFILE, as mesos-dns). */
  env: Readonly<Record<string, string | undefined>>;
  cwd(): string;
  resolvConfPath: string;
}

export interface LoadedConfig {
  config: Config;
  /** Things worth telling the operator that do not stop the server (unknown keys, ignored keys). */
  warnings: string[];
}

const DEFAULT_DEPS: LoadDeps = {
  readFile: (file) => fsReadFile(file, 'utf8'),
  now: () => Math.floor(Date.now() / 1000),
  networkInterfaces: osNetworkInterfaces,
  env: process.env,
  cwd: () => process.cwd(),
  resolvConfPath: '/etc/resolv.conf',
};

// ---------------------------------------------------------------------------------------------
// Key schema

type Kind =
  | { t: 'int'; min: number; max: number; rule: string }
  | { t: 'bool' }
  | { t: 'string' }
  | { t: 'strings' }
  | { t: 'zones' }
  | { t: 'credentials' }
  /** Present in Config but set by the server, never by the file. */
  | { t: 'ignored'; why: string };

// Timers in Node take a signed 32-bit millisecond delay; anything larger fires at once
// (TimeoutOverflowWarning). Every "seconds" key therefore tops out here.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const UINT32_MAX = 2 ** 32 - 1;
const INT31_MAX = 2 ** 31 - 1;

const int = (min: number, max: number, rule: string): Kind => ({ t: 'int', min, max, rule });
const seconds = (min: 0 | 1): Kind =>
  int(min, MAX_TIMER_SECONDS, `an integer from ${min} to ${MAX_TIMER_SECONDS} (seconds)`);
const port = int(0, 65535, 'a port from 0 to 65535 (0 = any free port)');
// RFC 1035 §3.3.13: SOA REFRESH, RETRY, EXPIRE and MINIMUM are unsigned 32-bit.
const uint32 = int(0, UINT32_MAX, `an integer from 0 to ${UINT32_MAX}`);
// A timer of at least 1 ms (0 would mean "no timeout" to node:http, and fire at once for our own timers).
const milliseconds = int(1, INT31_MAX, `an integer from 1 to ${INT31_MAX} (milliseconds)`);
const BOOL: Kind = { t: 'bool' };
const STRING: Kind = { t: 'string' };
const STRINGS: Kind = { t: 'strings' };

const SCHEMA: { readonly [K in keyof Config]: Kind } = {
  RefreshSeconds: seconds(1),
  Port: port,
  Timeout: seconds(0),
  StateTimeoutSeconds: seconds(1),
  ZkDetectionTimeout: seconds(0),
  HttpPort: port,
  // RFC 2181 §8: a TTL is an unsigned value whose top bit must be zero.
  TTL: int(0, INT31_MAX, `an integer from 0 to ${INT31_MAX}`),
  SRVRecordDefaultWeight: int(0, 65535, 'an integer from 0 to 65535'), // RFC 2782: 16-bit weight
  SOASerial: { t: 'ignored', why: 'the serial is the unix time of the last refresh' },
  SOARefresh: uint32,
  SOARetry: uint32,
  SOAExpire: uint32,
  SOAMinttl: uint32,
  SOAMname: STRING,
  SOARname: STRING,
  Masters: STRINGS,
  ZoneResolvers: { t: 'zones' },
  Resolvers: STRINGS,
  IPSources: STRINGS,
  Zk: STRING,
  Domain: STRING,
  File: { t: 'ignored', why: 'it is the path the configuration was read from' },
  Listener: STRING,
  HTTPListener: STRING,
  RecurseOn: BOOL,
  DnsOn: BOOL,
  HttpOn: BOOL,
  ExternalOn: BOOL,
  EnforceRFC952: BOOL,
  SetTruncateBit: BOOL,
  EnumerationOn: BOOL,
  MesosHTTPSOn: BOOL,
  CACertFile: STRING,
  CertFile: STRING,
  KeyFile: STRING,
  MesosCredentials: { t: 'credentials' },
  IAMConfigFile: STRING,
  MesosAuthentication: STRING,
  StateFile: STRING,
  MesosHTTPSInsecure: BOOL,
  StreamOn: BOOL,
  // lru-cache sizes its index arrays from `max` up front, so an absurd size costs memory at once.
  ForwardCacheSize: int(0, 10_000_000, 'an integer from 0 to 10000000'),
  Workers: int(0, 1024, 'an integer from 0 to 1024 (0 = one per core)'),
  UDPBufferBytes: int(0, INT31_MAX, `an integer from 0 to ${INT31_MAX}`),
  UDPBatching: BOOL,
  NativeStateReader: BOOL,
  // RFC 6891 §6.2.5: values below 512 are treated as 512; 65535 is the field's ceiling.
  EDNSMaxUDPSize: int(512, 65535, 'an integer from 512 to 65535'),
  // --- security keys (issue 12); validated in validateSecurity ---
  Identity: STRING,
  // --- connection limits (docs/security.md "Limits") ---
  TCPIOTimeoutMs: milliseconds,
  TCPIdleTimeoutMs: milliseconds,
  TCPMaxConnections: int(1, 1_000_000, 'an integer from 1 to 1000000'),
  TCPMaxClientConnections: int(0, 1_000_000, 'an integer from 0 to 1000000 (0 = no per-client cap)'),
  HTTPMaxConnections: int(1, 1_000_000, 'an integer from 1 to 1000000'),
  HTTPHeadersTimeoutMs: milliseconds,
  HTTPRequestTimeoutMs: milliseconds,
  HTTPKeepAliveTimeoutMs: milliseconds,
  // --- end of connection limits ---
  // --- readiness and state size (docs/configuration.md) ---
  ReadyMaxTableAgeSeconds: seconds(0),
  // Above 1 GiB a state is far past any real cluster, and as text past V8's longest string.
  StateMaxBytes: int(1024, 2 ** 30, `an integer from 1024 to ${2 ** 30} (bytes)`),
  // --- end of readiness and state size ---
};

const FIELDS = Object.keys(SCHEMA) as (keyof Config)[];
const BY_LOWER = new Map<string, keyof Config>(FIELDS.map((f) => [f.toLowerCase(), f]));

const IP_SOURCES: readonly IPSource[] = ['host', 'docker', 'mesos', 'netinfo'];
const AUTH_MECHANISMS: readonly MesosAuthentication[] = ['', 'basic', 'iam'];
// mesos-dns's dnsValidationRegex, used for `domain` and zoneResolvers keys.
const DOMAIN_RE = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** `nameserver` addresses of a resolv.conf, in order (resolv.conf(5); `#` and `;` start comments). */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (fields[0] === 'nameserver' && fields[1] !== undefined) out.push(fields[1]);
  }
  return out;
}

/** A DNS name as text, after normalisation: non-empty labels of at most 63 octets (RFC 1035 §2.3.4). */
function dnsNameProblem(absolute: string): string | undefined {
  const name = absolute.slice(0, -1);
  if (name === '') return 'must not be empty';
  if (name.length > 253) return 'is longer than 253 characters';
  if (/[\s\\"()]/.test(name) || [...name].some((c) => c.charCodeAt(0) > 126)) {
    return 'may contain only printable ASCII without spaces';
  }
  const labels = name.split('.');
  if (labels.some((l) => l === '')) return 'has an empty label';
  if (labels.some((l) => l.length > 63)) return 'has a label longer than 63 characters';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// parseConfig

class Problems {
  readonly errors: ConfigError[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly written: Map<keyof Config, string>) {}
  /** The key as the operator wrote it, else its canonical name. */
  name(field: keyof Config): string {
    return this.written.get(field) ?? field;
  }
  given(field: keyof Config): boolean {
    return this.written.has(field);
  }
  error(field: keyof Config | string, reason: string): void {
    const key = (FIELDS as string[]).includes(field) ? this.name(field as keyof Config) : field;
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go encoding/json: a key matches the field whose name equals it ignoring case; the last one wins. */
function matchKeys(raw: Record<string, unknown>): {
  values: Map<keyof Config, unknown>;
  written: Map<keyof Config, string>;
  warnings: string[];
} {
  const values = new Map<keyof Config, unknown>();
  const written = new Map<keyof Config, string>();
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = BY_LOWER.get(key.toLowerCase());
    if (field === undefined) {
      warnings.push(`unknown key "${key}" ignored`);
      continue;
    }
    const earlier = written.get(field);
    if (earlier !== undefined) warnings.push(`key "${key}" repeats "${earlier}"; the last one is used`);
    values.set(field, value);
    written.set(field, key);
  }
  return { values, written, warnings };
}

/**
 * Validates and normalises a config file's JSON value. Pure: everything it needs from the machine
 * is in `env`. Throws ConfigErrors listing every problem found.
 */
export function parseConfig(raw: unknown, env: ConfigEnv): LoadedConfig {
  if (!isObject(raw)) {
    throw new ConfigErrors([new ConfigError('config', `must be a JSON object, got ${Array.isArray(raw) ? 'an array' : show(raw)}`)]);
  }
  const { values, written, warnings } = matchKeys(raw);
  const p = new Problems(written);
  p.warnings.push(...warnings);
  const c: Config = structuredClone(DEFAULTS) as Config;
  decodeAll(values, c, p);

  c.File = env.file;
  c.SOASerial = env.now;
  c.Domain = c.Domain.toLowerCase();

  validateServices(c, p);
  validateMasters(c, p);
  if (c.Zk !== '') validateZk(c, p);
  if (c.ExternalOn) {
    fillResolvers(c, env, p);
    validateResolvers(c, p);
    validateZoneResolvers(c, p);
  }
  validateIPSources(c, p);
  validateDomain(c, p);
  normaliseSOA(c, p);
  validateListeners(c, p);
  validateTLS(c, p);
  validateAuth(c, p);
  validateSecurity(c, p);
  validateConnectionLimits(c, p);
  // mesos-dns: "timeout 0" means the default of 5 seconds.
  if (c.Timeout === 0) c.Timeout = DEFAULTS.Timeout;

  if (p.errors.length > 0) throw new ConfigErrors(p.errors);
  return { config: c, warnings: p.warnings };
}

function decodeAll(values: Map<keyof Config, unknown>, c: Config, p: Problems): void {
  const out = c as unknown as Record<keyof Config, unknown>;
  for (const [field, value] of values) {
    const kind = SCHEMA[field];
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

function decode(kind: Kind, value: unknown, field: keyof Config, p: Problems): unknown {
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

function decodeZones(value: unknown, field: keyof Config, p: Problems): Record<string, string[]> | undefined {
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

function decodeCredentials(value: unknown, field: keyof Config, p: Problems): Config['MesosCredentials'] | undefined {
  if (!isObject(value)) {
    p.error(field, `must be an object {"principal": ..., "secret": ...}, got ${show(value)}`);
    return undefined;
  }
  const creds = { ...DEFAULTS.MesosCredentials };
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

// --- security keys (issue 12) ---
function validateSecurity(c: Config, p: Problems): void {
  // It goes out as one TXT <character-string> (RFC 1035 §3.3: at most 255 octets).
  const octets = Buffer.byteLength(c.Identity, 'utf8');
  if (octets > 255) p.error('Identity', `must be at most 255 octets of UTF-8, got ${octets}`);
}

function validateServices(c: Config, p: Problems): void {
  if (!c.DnsOn && !c.HttpOn) {
    p.error('DnsOn', 'either the DNS or the HTTP server should be on (dnson and httpon are both false)');
  }
  const noMasters = c.Masters === null || c.Masters.length === 0;
  if (noMasters && c.Zk === '' && c.StateFile === '') {
    p.error('Masters', 'specify Mesos masters or zk (or StateFile): both masters and zk are empty');
  }
  if (c.StateFile !== '' && (!noMasters || c.Zk !== '')) {
    p.warnings.push('StateFile is set, so masters and zk are not used');
  }
}

function validateMasters(c: Config, p: Problems): void {
  const seen = new Map<string, string>();
  for (const entry of c.Masters ?? []) {
    const parsed = parseMasterAddress(entry);
    if (parsed.reason !== undefined) {
      p.error('Masters', parsed.reason);
      continue;
    }
    const { host, port: portNum } = parsed.value;
    const id = `${canonicalIP(host) ?? host.toLowerCase().replace(/\.$/, '')}|${portNum}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) p.error('Masters', `duplicate master ${show(entry)} (same as ${show(earlier)})`);
    else seen.set(id, entry);
  }
}

function validateZk(c: Config, p: Problems): void {
  // One parser for the zk URL: the one the detector uses, so what validates here also connects.
  try {
    if (parseZkUrl(c.Zk).hasCredentials) p.warnings.push(`${p.name('Zk')}: credentials in the URL are ignored`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    p.error('Zk', err.reason);
  }
}

function fillResolvers(c: Config, env: ConfigEnv, p: Problems): void {
  if (c.Resolvers.length > 0) return;
  // mesos-dns: an explicitly empty list means "the system's resolvers", minus this machine's own
  // addresses, since forwarding to ourselves would loop.
  const local = new Set(env.localAddresses.map((a) => canonicalIP(a) ?? a));
  const found: string[] = [];
  for (const ns of resolvConfNameservers(env.resolvConf)) {
    const ip = canonicalIP(ns);
    if (ip === undefined) {
      p.warnings.push(`${p.name('Resolvers')}: resolv.conf nameserver ${show(ns)} skipped: not a plain IP address`);
    } else if (!local.has(ip) && !found.some((f) => canonicalIP(f) === ip)) {
      found.push(ns);
    }
  }
  c.Resolvers = found;
  if (found.length === 0) {
    p.warnings.push(
      `${p.name('Resolvers')}: /etc/resolv.conf gave no usable nameserver, so only zoneResolvers can forward`,
    );
  }
}

function checkResolverList(list: readonly string[], what: string, field: keyof Config, p: Problems): void {
  const seen = new Map<string, string>();
  for (const entry of list) {
    const parsed = parseResolverAddress(entry);
    if (parsed.reason !== undefined) {
      p.error(field, `${what}${parsed.reason}`);
      continue;
    }
    const id = `${canonicalIP(parsed.value.host)}|${parsed.value.port}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) p.error(field, `${what}duplicate resolver ${show(entry)} (same as ${show(earlier)})`);
    else seen.set(id, entry);
  }
}

function validateResolvers(c: Config, p: Problems): void {
  checkResolverList(c.Resolvers, '', 'Resolvers', p);
}

function validateZoneResolvers(c: Config, p: Problems): void {
  const zones = Object.keys(c.ZoneResolvers);
  for (const zone of zones) {
    const list = c.ZoneResolvers[zone];
    if (!DOMAIN_RE.test(zone)) p.error('ZoneResolvers', `zone ${show(zone)} is not a valid domain name`);
    if (list.length === 0) p.error('ZoneResolvers', `zone ${show(zone)} has no resolvers`);
    checkResolverList(list, `zone ${show(zone)}: `, 'ZoneResolvers', p);
    if (zone === c.Domain) {
      p.error('ZoneResolvers', `zone ${show(zone)} is the Mesos domain, which this server answers itself`);
    }
  }
  // A zone inside another (or around the Mesos domain) makes it ambiguous which resolvers own a
  // name; mesos-dns rejects it, and so do we. Each pair is reported once.
  const all = [...zones.filter((z) => z !== c.Domain), c.Domain];
  for (const inner of all) {
    for (const outer of all) {
      if (inner !== outer && `.${inner}`.endsWith(`.${outer}`)) {
        const label = (z: string) => (z === c.Domain ? `the Mesos domain ${show(z)}` : `zone ${show(z)}`);
        p.error('ZoneResolvers', `${label(inner)} lies inside ${label(outer)}: ambiguous zone resolvers`);
      }
    }
  }
}

function validateIPSources(c: Config, p: Problems): void {
  if (c.IPSources.length === 0) {
    p.error('IPSources', `must not be empty; use some of ${IP_SOURCES.join(', ')}`);
    return;
  }
  const seen = new Set<string>();
  for (const src of c.IPSources) {
    if (!IP_SOURCES.includes(src)) p.error('IPSources', `invalid IP source ${show(src)}; use ${IP_SOURCES.join(', ')}`);
    else if (seen.has(src)) p.error('IPSources', `duplicate IP source ${show(src)}`);
    seen.add(src);
  }
}

function validateDomain(c: Config, p: Problems): void {
  if (!DOMAIN_RE.test(c.Domain)) {
    p.error('Domain', `${show(c.Domain)} is not a valid domain name (letters, digits and "-", dot-separated, no leading or trailing dot)`);
    return;
  }
  const problem = dnsNameProblem(`${c.Domain}.`);
  if (problem !== undefined) p.error('Domain', `${show(c.Domain)} ${problem}`);
}

function normaliseSOA(c: Config, p: Problems): void {
  // mesos-dns: every "@" in the contact becomes "." (admin@example.org -> admin.example.org.);
  // both names become absolute with exactly one trailing dot; MNAME is lower-cased.
  c.SOARname = `${c.SOARname.replaceAll('@', '.').replace(/\.+$/, '')}.`;
  c.SOAMname = `${c.SOAMname.replace(/\.+$/, '').toLowerCase()}.`;
  const rname = dnsNameProblem(c.SOARname);
  if (rname !== undefined) p.error('SOARname', `${show(c.SOARname)} ${rname}`);
  const mname = dnsNameProblem(c.SOAMname);
  if (mname !== undefined) p.error('SOAMname', `${show(c.SOAMname)} ${mname}`);
}

function validateListeners(c: Config, p: Problems): void {
  for (const field of ['Listener', 'HTTPListener'] as const) {
    if (canonicalIP(c[field]) === undefined) {
      p.error(field, `must be an IP address such as "0.0.0.0" or "::", got ${show(c[field])}`);
    }
  }
}

function validateTLS(c: Config, p: Problems): void {
  if ((c.CertFile === '') !== (c.KeyFile === '')) {
    p.error(c.CertFile === '' ? 'CertFile' : 'KeyFile', 'CertFile and KeyFile must be given together');
  }
  if (c.MesosHTTPSInsecure && c.CACertFile !== '') {
    p.warnings.push('MesosHTTPSInsecure is true, so the masters\' certificates are not checked against CACertFile');
  }
}

function validateAuth(c: Config, p: Problems): void {
  const mech = c.MesosAuthentication as string;
  if (!(AUTH_MECHANISMS as readonly string[]).includes(mech)) {
    p.error('MesosAuthentication', `must be "", "basic" or "iam", got ${show(mech)}`);
    return;
  }
  const creds = c.MesosCredentials;
  if (mech === 'basic' && creds.Principal === '' && creds.Secret === '') {
    p.error('MesosCredentials', 'MesosAuthentication "basic" needs a principal or a secret');
  }
  if (mech === 'iam' && c.IAMConfigFile === '') {
    p.error('IAMConfigFile', 'MesosAuthentication "iam" needs IAMConfigFile');
  }
  if (mech === '' && (creds.Principal !== '' || creds.Secret !== '')) {
    p.warnings.push('MesosCredentials is set but MesosAuthentication is empty, so no credentials are sent');
  }
  if (mech !== 'iam' && c.IAMConfigFile !== '') {
    p.warnings.push('IAMConfigFile is set but MesosAuthentication is not "iam", so it is not used');
  }
}

// --- connection limits ---
function validateConnectionLimits(c: Config, p: Problems): void {
  // node:http refuses a headers timeout longer than the request timeout: the request one would
  // cut the headers off first anyway.
  if (c.HTTPHeadersTimeoutMs > c.HTTPRequestTimeoutMs) {
    p.error('HTTPHeadersTimeoutMs', `must not exceed HTTPRequestTimeoutMs (${c.HTTPRequestTimeoutMs}), got ${c.HTTPHeadersTimeoutMs}`);
  }
}
// --- end of connection limits ---

// ---------------------------------------------------------------------------------------------
// loadConfig: the I/O around parseConfig

/** `~/x` -> `$HOME/x` (mesos-dns also tries USERPROFILE), then absolute against the CWD. */
export function configFilePath(file: string, deps: Pick<LoadDeps, 'env' | 'cwd'>): string {
  let expanded = file;
  if (file.startsWith('~/')) {
    const home = deps.env.HOME || deps.env.USERPROFILE || '.';
    expanded = path.join(home, file.slice(2));
  }
  return path.resolve(deps.cwd(), expanded);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function localAddresses(deps: LoadDeps): string[] {
  const out: string[] = [];
  for (const list of Object.values(deps.networkInterfaces())) {
    for (const info of list ?? []) out.push(info.address);
  }
  return out;
}

/**
 * Reads, validates and normalises the configuration file at `file`. Throws ConfigErrors naming
 * every key that cannot be used.
 */
export async function loadConfig(file: string, deps: Partial<LoadDeps> = {}): Promise<LoadedConfig> {
  const d: LoadDeps = { ...DEFAULT_DEPS, ...deps };
  const abs = configFilePath(file, d);
  let text: string;
  try {
    text = await d.readFile(abs);
  } catch (err) {
    const reason =
      errnoCode(err) === 'ENOENT'
        ? `missing configuration file: "${abs}"`
        : `cannot read configuration file "${abs}": ${errMessage(err)}`;
    throw new ConfigErrors([new ConfigError('config', reason)]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigErrors([new ConfigError('config', `"${abs}" is not valid JSON: ${errMessage(err)}`)]);
  }

  const written = isObject(raw) ? matchKeys(raw).written : new Map<keyof Config, string>();
  const keyOf = (field: keyof Config) => written.get(field) ?? field;

  let resolvConf = '';
  let locals: string[] = [];
  if (wantsResolvConf(raw)) {
    try {
      resolvConf = await d.readFile(d.resolvConfPath);
    } catch (err) {
      throw new ConfigErrors([
        new ConfigError(keyOf('Resolvers'), `is empty, and ${d.resolvConfPath} cannot be read: ${errMessage(err)}`),
      ]);
    }
    locals = localAddresses(d);
  }

  const loaded = parseConfig(raw, { file: abs, resolvConf, localAddresses: locals, now: d.now() });
  const errors = await checkNamedFiles(loaded.config, d.readFile, keyOf);
  if (errors.length > 0) throw new ConfigErrors(errors);
  return loaded;
}

/** The files a config names must be usable now, not at the first HTTPS request to a master. */
async function checkNamedFiles(
  c: Config,
  readFile: LoadDeps['readFile'],
  keyOf: (field: keyof Config) => string,
): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  const read = async (field: keyof Config, file: string): Promise<string | undefined> => {
    try {
      return await readFile(file);
    } catch (err) {
      errors.push(new ConfigError(keyOf(field), `cannot read ${show(file)}: ${errMessage(err)}`));
      return undefined;
    }
  };

  if (c.CACertFile !== '') {
    const pem = await read('CACertFile', c.CACertFile);
    if (pem !== undefined && pemCertificates(pem).length === 0) {
      errors.push(new ConfigError(keyOf('CACertFile'), `${show(c.CACertFile)} holds no PEM certificate`));
    }
  }

  if (c.CertFile !== '' && c.KeyFile !== '') {
    const certPem = await read('CertFile', c.CertFile);
    const keyPem = await read('KeyFile', c.KeyFile);
    const certs = certPem === undefined ? [] : pemCertificates(certPem);
    if (certPem !== undefined && certs.length === 0) {
      errors.push(new ConfigError(keyOf('CertFile'), `${show(c.CertFile)} holds no PEM certificate`));
    }
    if (keyPem !== undefined) {
      try {
        const key = createPrivateKey(keyPem);
        if (certs.length > 0 && !certs[0].checkPrivateKey(key)) {
          errors.push(new ConfigError(keyOf('KeyFile'), `${show(c.KeyFile)} is not the key of the certificate in ${show(c.CertFile)}`));
        }
      } catch (err) {
        errors.push(new ConfigError(keyOf('KeyFile'), `${show(c.KeyFile)} holds no usable PEM private key: ${errMessage(err)}`));
      }
    }
  }

  if (c.IAMConfigFile !== '') {
    const text = await read('IAMConfigFile', c.IAMConfigFile);
    if (text !== undefined) {
      const problem = iamAccountProblem(text);
      if (problem !== undefined) errors.push(new ConfigError(keyOf('IAMConfigFile'), `${show(c.IAMConfigFile)}: ${problem}`));
    }
  }
  return errors;
}

/** Every certificate in a PEM bundle that parses; like Go's AppendCertsFromPEM, others are skipped. */
function pemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const certs: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      // not a certificate after all; a bundle may still hold good ones
    }
  }
  return certs;
}

/** The IAM service account file: {"uid", "private_key" (RSA PEM, for RS256), "login_endpoint"}. */
function iamAccountProblem(text: string): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `not valid JSON: ${errMessage(err)}`;
  }
  if (!isObject(raw)) return 'must be a JSON object {"uid", "private_key", "login_endpoint"}';
  // Go's encoding/json matches these keys case-insensitively too.
  const get = (name: string) => Object.entries(raw).find(([k]) => k.toLowerCase() === name)?.[1];
  const missing = ['uid', 'private_key', 'login_endpoint'].filter((k) => typeof get(k) !== 'string' || get(k) === '');
  if (missing.length > 0) return `${missing.map((k) => `"${k}"`).join(', ')} must be non-empty strings`;
  try {
    const key = createPrivateKey(get('private_key') as string);
    if (key.asymmetricKeyType !== 'rsa') return `"private_key" must be an RSA key (the login token is RS256), got ${key.asymmetricKeyType}`;
  } catch (err) {
    return `"private_key" is not a PEM private key: ${errMessage(err)}`;
  }
  let url: URL;
  try {
    url = new URL(get('login_endpoint') as string);
  } catch {
    return `"login_endpoint" is not a URL: ${show(get('login_endpoint'))}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '"login_endpoint" must be an http or https URL';
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/** A copy safe to show: /v1/config and the startup log never reveal the secret (mesos-dns does, §11.9). */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.MesosCredentials.Secret !== '') copy.MesosCredentials.Secret = '******';
  return copy;
}
