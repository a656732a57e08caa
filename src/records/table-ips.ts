// The IPs of the table build: canonical text (net/address.ts), family decided once, an id in the
// table's IP list, de-duplicated per owner; and which of a task's IPs IPSources picks.
import { canonicalIP } from '../net/address.js';
import type { Task } from '../mesos/state.js';
import type { RecordSink } from './table-builder.js';

/** An IP in canonical text, with its family decided once and its id in the table's IP list. */
export interface Ip {
  text: string;
  v6: boolean;
  id: number;
}

/** Shared result for "no IPs" (never modified): most tasks have no container IP, and the sources are tried in turn. */
export const NO_IPS: Ip[] = [];

/**
 * Canonical, de-duplicated IPs; values that are not IP literals are skipped (mesos-dns:
 * net.ParseIP). `seen` remembers each raw text's Ip for the rest of the build: the same agent
 * and container addresses come up again and again, and canonicalising IPv6 is not cheap.
 */
export function toIps(b: RecordSink, seen: Map<string, Ip | null>, values: readonly string[] | undefined): Ip[] {
  if (values === undefined || values.length === 0) return NO_IPS;
  const out: Ip[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let ip = seen.get(v);
    if (ip === undefined) {
      const text = canonicalIP(v);
      ip = text === undefined ? null : { text, v6: text.includes(':'), id: b.ip(text) };
      seen.set(v, ip);
    }
    if (ip === null || includesIp(out, ip)) continue;
    out.push(ip);
  }
  return out.length === 0 ? NO_IPS : out;
}

function includesIp(ips: readonly Ip[], ip: Ip): boolean {
  for (let i = 0; i < ips.length; i++) if (ips[i].text === ip.text) return true;
  return false;
}

export function addIP(b: Pick<RecordSink, 'addA' | 'addAAAA'>, owner: number, ip: Ip): void {
  if (ip.v6) b.addAAAA(owner, ip.id);
  else b.addA(owner, ip.id);
}

/** Task IPs per IPSources, HEAD (e888ef4) rule: every IP of the first source that yields any. */
export function taskIPs(b: RecordSink, seen: Map<string, Ip | null>, task: Task, agentIps: Ip[], sources: readonly string[]): Ip[] {
  for (let i = 0; i < sources.length; i++) {
    let ips: Ip[];
    switch (sources[i]) {
      case 'host':
        ips = agentIps;
        break;
      case 'netinfo':
        ips = toIps(b, seen, task.running?.networkIPs);
        break;
      case 'mesos':
        ips = toIps(b, seen, task.running?.mesosLabelIPs);
        break;
      case 'docker':
        ips = toIps(b, seen, task.running?.dockerLabelIPs);
        break;
      default:
        ips = NO_IPS;
    }
    if (ips.length > 0) return ips;
  }
  return NO_IPS;
}

