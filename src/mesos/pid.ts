// libprocess PIDs (`name@host:port`), `host:port` pairs and IP literals: the syntax only.
// Resolving a hostname is I/O and happens elsewhere (records/resolve-hosts.ts). No node:net here,
// because records/* imports this module and must stay free of network modules.
import { StateParseError } from '../errors.js';
import type { Pid } from './state.js';

export interface HostPort {
  /** IPv4 literal, IPv6 literal without brackets, or a hostname, as written. */
  host: string;
  port: number;
}

// Dotted quad without leading zeros: Go's net.ParseIP (which mesos-dns uses) rejects "010.1.1.1".
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;
const V4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
// RFC 1123 §2.1 host names, plus `_`, which real clusters use in internal names; an absolute
// name's trailing dot is allowed.
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?\.?$/;
const PORT = /^\d{1,5}$/;

/**
 * The canonical text of an IP literal, or undefined when `s` is not one. IPv6 comes out in
 * RFC 5952 form (lower case, longest zero run compressed). An IPv4-mapped IPv6 address comes out
 * as plain IPv4, as Go's net.IP.String() does, so it gives an A record like in mesos-dns.
 * Zone indices (`fe80::1%eth0`) are not IP literals here, as in Go's net.ParseIP.
 */
export function ipLiteral(s: string): string | undefined {
  if (IPV4.test(s)) return s;
  if (!s.includes(':') || !IPV6_CHARS.test(s)) return undefined;
  let host: string;
  try {
    // The WHATWG URL host parser is a strict RFC 4291 §2.2 parser and serialises per RFC 5952.
    host = new URL(`http://[${s}]/`).hostname;
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

/** `host:port` or `[ipv6]:port`; undefined when malformed (missing port, port > 65535, bad host). */
export function splitHostPort(s: string): HostPort | undefined {
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') return undefined;
    host = s.slice(1, close);
    portText = s.slice(close + 2);
    const ip = ipLiteral(host);
    if (ip === undefined || !ip.includes(':')) return undefined;
  } else {
    const colon = s.indexOf(':');
    // More than one colon without brackets is ambiguous (Go's SplitHostPort: "too many colons").
    if (colon < 0 || s.indexOf(':', colon + 1) >= 0) return undefined;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (!HOSTNAME.test(host)) return undefined;
  }
  if (!PORT.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

/**
 * Parses a libprocess PID strictly: exactly one `@`, then `host:port` (IPv6 in brackets).
 * The name part may be empty, as mesos-go's upid.Parse allows.
 */
export function parsePid(s: string): Pid {
  const at = s.indexOf('@');
  if (at < 0 || s.indexOf('@', at + 1) >= 0) {
    throw new StateParseError(`malformed pid ${JSON.stringify(s)}: expected exactly one "@" (name@host:port)`);
  }
  const hostPort = splitHostPort(s.slice(at + 1));
  if (hostPort === undefined) {
    throw new StateParseError(`malformed pid ${JSON.stringify(s)}: expected name@host:port`);
  }
  return { name: s.slice(0, at), host: hostPort.host, port: hostPort.port };
}

/** Two host:port pairs name the same endpoint: IP literals compared canonically, hostnames case-insensitively. */
export function sameHostPort(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && canonicalHost(a.host) === canonicalHost(b.host);
}

function canonicalHost(host: string): string {
  return ipLiteral(host) ?? host.toLowerCase();
}
