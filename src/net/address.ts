// The one address model: IP literals in one canonical text, `host:port` split/join/compare, the
// address forms of the config (masters, resolvers) and of libprocess pids. Pure and free of
// node:net, so records/ may import it. CIDR ranges live next door (cidr.ts).

/** An endpoint. `host` is an IP literal (IPv6 without brackets) or a hostname, as written. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type Parsed<T> = { value: T; reason?: undefined } | { value?: undefined; reason: string };

const DEFAULT_DNS_PORT = 53;
// Dotted quad without leading zeros: Go's net.ParseIP (which mesos-dns uses) rejects "010.1.1.1".
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;
const V4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
// RFC 1123 §2.1 host names, plus `_`, which real clusters use in internal names; an absolute
// name's trailing dot is allowed. This is the pid rule (any dot-separated text of those characters).
const PID_HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?\.?$/;
// The stricter rule for configured hostnames: labels of 1-63 characters.
const HOSTNAME_LABEL = /^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?$/;
const PORT = /^\d{1,5}$/;

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Whether `text` is an IPv4 address in the canonical text canonicalIP gives (then it gives `text` itself). */
export function isCanonicalIPv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * The canonical text of an IP literal, or undefined when `text` is not one. IPv6 comes out in
 * RFC 5952 form (lower case, longest zero run compressed). An IPv4-mapped IPv6 address comes out
 * as plain IPv4, as Go's net.IP.String() does, so it gives an A record like in mesos-dns.
 * Zone indices (`fe80::1%eth0`) are not IP literals here, as in Go's net.ParseIP.
 */
export function canonicalIP(text: string): string | undefined {
  if (IPV4.test(text)) return text;
  if (!text.includes(':') || !IPV6_CHARS.test(text)) return undefined;
  let host: string;
  try {
    // The WHATWG URL host parser is a strict RFC 4291 §2.2 parser and serialises per RFC 5952.
    host = new URL(`http://[${text}]/`).hostname;
  } catch {
    return undefined;
  }
  const ip = host.slice(1, -1);
  const mapped = V4_MAPPED.exec(ip);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return ip;
}

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

/** `host:port`, bracketing an IPv6 host, like Go's net.JoinHostPort (which mesos-dns uses). */
export function joinHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** A port from `min` (1 unless told) to 65535, digits only. */
export function parsePort(text: string, min = 1): number | undefined {
  if (!PORT.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= 65535 ? n : undefined;
}

/** The host's identity: canonical IP text, or the hostname lower-cased without its root dot. */
export function hostKey(host: string): string {
  return canonicalIP(host) ?? host.toLowerCase().replace(/\.$/, '');
}

/** Two endpoints are the same: IP literals compared canonically, hostnames case-insensitively. */
export function sameHostPort(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && (a.host === b.host || hostKey(a.host) === hostKey(b.host));
}

/** RFC 1123 §2.1 host names; an all-digit last label would be a mistyped IPv4 address (RFC 3696 §2). */
export function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  return (
    name.length > 0 &&
    name.length <= 253 &&
    labels.every((l) => HOSTNAME_LABEL.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1])
  );
}

/**
 * A `masters` entry: `host:port` with port 1-65535. The host may be an IP (IPv6 in brackets) or a
 * hostname; mesos-dns accepts hostnames here and then crashes on them; we resolve
 * them when fetching state.
 */
export function parseMasterAddress(text: string): Parsed<HostPort> {
  const split = splitHostPort(text);
  if (split.reason !== undefined) return { reason: `${show(text)} is not host:port: ${split.reason}` };
  const { host, port: portText } = split.value;
  const portNum = parsePort(portText);
  if (portNum === undefined) return { reason: `${show(text)}: port must be from 1 to 65535` };
  if (host === '') return { reason: `${show(text)}: the host is empty` };
  const ip = canonicalIP(host);
  if (text.startsWith('[') && (ip === undefined || !host.includes(':'))) {
    return { reason: `${show(text)}: only IPv6 addresses go in brackets` };
  }
  if (ip === undefined && (host.includes(':') || !isHostname(host))) {
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

/**
 * The `host:port` of a libprocess pid (after the `@`), strictly: an IPv6 literal in brackets
 * (not IPv4-mapped), or an IPv4 literal or hostname without; port 0-65535 (libprocess allows 0).
 */
export function parsePidAddress(text: string): HostPort | undefined {
  const split = splitHostPort(text);
  if (split.reason !== undefined) return undefined;
  const { host } = split.value;
  if (text.startsWith('[')) {
    if (!canonicalIP(host)?.includes(':')) return undefined;
  } else if (!PID_HOSTNAME.test(host)) {
    return undefined;
  }
  const port = parsePort(split.value.port, 0);
  return port === undefined ? undefined : { host, port };
}
