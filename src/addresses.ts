// Address syntax shared by config validation and the modules that connect to things:
// master `host:port`, resolver `ip[:port]`, ZooKeeper `zk://` URLs, and a canonical IP form.
import { isIPv4, isIPv6 } from 'node:net';

const HOSTNAME_LABEL_RE = /^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?$/;
const DEFAULT_DNS_PORT = 53;

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/**
 * One canonical text per IP address, so that long and short IPv6 forms (and IPv4-mapped IPv6) of
 * the same address compare equal, as Go's net.ParseIP(..).String() does. undefined = not an IP.
 * Zone suffixes (`fe80::1%eth0`) are refused: Go's ParseIP refuses them too.
 */
export function canonicalIP(text: string): string | undefined {
  if (isIPv4(text)) return text;
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let body = text;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    tail.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
    body = body.slice(0, -v4[1].length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const parseGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    const head = parseGroups(body.slice(0, gap));
    const rest = [...parseGroups(body.slice(gap + 2)), ...tail];
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    groups = [...parseGroups(body), ...tail];
  }
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  return groups.map((g) => g.toString(16)).join(':');
}

export interface HostPort {
  host: string;
  port: number;
}

export type Parsed<T> = { value: T; reason?: undefined } | { value?: undefined; reason: string };

/** Go's net.SplitHostPort rules: `host:port`, or `[v6]:port`; a bare v6 has too many colons. */
export function splitHostPort(text: string): Parsed<{ host: string; port: string }> {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { reason: 'missing "]"' };
    if (text[close + 1] !== ':') return { reason: 'missing port after "]"' };
    return { value: { host: text.slice(1, close), port: text.slice(close + 2) } };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { reason: 'missing port' };
  const host = text.slice(0, colon);
  if (host.includes(':')) return { reason: 'an IPv6 address must be in brackets, e.g. "[::1]:5050"' };
  return { value: { host, port: text.slice(colon + 1) } };
}

export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** RFC 1123 §2.1 host names; an all-digit last label would be a mistyped IPv4 address (RFC 3696 §2). */
export function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  return (
    name.length > 0 &&
    name.length <= 253 &&
    labels.every((l) => HOSTNAME_LABEL_RE.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1])
  );
}

/**
 * A `masters` entry: `host:port` with port 1-65535. The host may be an IP (IPv6 in brackets) or a
 * hostname; mesos-dns accepts hostnames here and then crashes on them (behaviour §11.6), we resolve
 * them when fetching state.
 */
export function parseMasterAddress(text: string): Parsed<HostPort> {
  const split = splitHostPort(text);
  if (split.reason !== undefined) return { reason: `${show(text)} is not host:port: ${split.reason}` };
  const { host, port: portText } = split.value;
  const portNum = parsePort(portText);
  if (portNum === undefined) return { reason: `${show(text)}: port must be from 1 to 65535` };
  if (host === '') return { reason: `${show(text)}: the host is empty` };
  if (text.startsWith('[') && !isIPv6(host)) return { reason: `${show(text)}: only IPv6 addresses go in brackets` };
  if (canonicalIP(host) === undefined && (isIPv6(host) || !isHostname(host))) {
    return { reason: `${show(text)}: ${show(host)} is neither an IP address nor a valid hostname` };
  }
  return { value: { host, port: portNum } };
}

/** A `resolvers` / zoneResolvers entry: an IP, `ip:port` or `[v6]:port`; the port defaults to 53. */
export function parseResolverAddress(text: string): Parsed<HostPort> {
  if (text === '') return { reason: 'empty resolver address' };
  let host = text;
  let portNum = DEFAULT_DNS_PORT;
  if (canonicalIP(text) === undefined) {
    const split = splitHostPort(text);
    if (split.reason !== undefined) return { reason: `${show(text)} is not an IP address or ip:port` };
    host = split.value.host;
    const p = parsePort(split.value.port);
    if (p === undefined) return { reason: `${show(text)}: port must be from 1 to 65535` };
    portNum = p;
  }
  if (canonicalIP(host) === undefined) return { reason: `${show(text)}: ${show(host)} is not an IP address` };
  return { value: { host, port: portNum } };
}
