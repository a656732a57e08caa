// File descriptors: every TCP connection, HTTP connection and forwarded query holds one, and the
// process has one limit for all of them (RLIMIT_NOFILE). When HTTP clients used them all up,
// forwarding failed with EMFILE, DNS over TCP was reset and the state poll failed (issue 12).
// The caps of docs/security.md keep each side bounded; this adds them up and says at start-up
// (and on reload) when the sum does not fit, so the operator can lower a cap or raise the limit.
//
// Node raises its own soft limit to the hard limit when it starts (src/node.cc, PlatformInit),
// so the limit read here is already the most the process can have without a new hard limit
// (`ulimit -Hn`, systemd's LimitNOFILE); a process cannot raise its hard limit itself.
import { readFileSync } from 'node:fs';
import type { Config } from './config/typed.js';
import { DEFAULT_UDP_MAX_IN_FLIGHT } from './dns/transport/udp-server.js';

/** Listening sockets, stdio, connections to masters and ZooKeeper, the event loop's own. */
export const BASE_DESCRIPTORS = 64;

export interface DescriptorBudget {
  /** TCPMaxConnections per DNS thread. */
  dnsTcp: number;
  /** A forwarded query holds a socket while it waits: UDP queries in flight, plus one per TCP connection. */
  forwarding: number;
  http: number;
  base: number;
  total: number;
}

/** The most descriptors `config` lets the server hold with `dnsThreads` threads serving DNS. */
export function descriptorBudget(config: Config, dnsThreads: number): DescriptorBudget {
  const threads = config.DnsOn ? dnsThreads : 0;
  const dnsTcp = threads * config.TCPMaxConnections;
  const forwards = config.RecurseOn && config.ExternalOn;
  const forwarding = forwards ? threads * (DEFAULT_UDP_MAX_IN_FLIGHT + config.TCPMaxConnections) : 0;
  const http = config.HttpOn ? config.HTTPMaxConnections : 0;
  return { dnsTcp, forwarding, http, base: BASE_DESCRIPTORS, total: dnsTcp + forwarding + http + BASE_DESCRIPTORS };
}

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function openFileLimit(procLimits: string): number | undefined {
  const line = procLimits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
}

/** This process's open-file limit, where the system tells it (Linux); undefined elsewhere. */
export function readOpenFileLimit(): number | undefined {
  try {
    return openFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
