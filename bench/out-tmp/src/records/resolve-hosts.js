// The I/O edge before buildTable: which hostnames a state mentions, and their addresses.
// mesos-dns resolves pid hosts while decoding the state and framework hosts while generating
// records; here it is done once, up front, through an injected lookup, so buildTable stays pure.
// A name that does not resolve maps to [] and then contributes no records (mesos-dns instead
// stores the hostname text as an "IP", issue #509).
import { canonicalIP } from '../net/address.js';
/**
 * Every host the table needs that is not an IP literal, de-duplicated, in first-seen order:
 * the leader's pid host, the masters list hosts, agent pid hosts, framework pid hosts, and the
 * `hostname` of frameworks without a pid.
 */
export function collectHostnames(state, masters) {
    const names = new Set();
    const add = (host) => {
        if (host !== '' && canonicalIP(host) === undefined)
            names.add(host);
    };
    add(state.leader.host);
    for (const master of masters)
        add(master.host);
    for (const agent of state.agents)
        if (agent.pid)
            add(agent.pid.host);
    for (const fw of state.frameworks)
        add(fw.pid ? fw.pid.host : fw.hostname);
    return [...names];
}
/**
 * Looks every name up with at most `concurrency` lookups in flight. The result maps each name to
 * its canonical, de-duplicated IPs; a lookup that fails or yields no IP literal maps to [].
 */
export async function resolveHostnames(names, lookup, options = {}) {
    const concurrency = Math.max(1, options.concurrency ?? 8);
    const result = new Map();
    let next = 0;
    const worker = async () => {
        while (next < names.length) {
            const name = names[next++];
            let ips = [];
            try {
                ips = await lookup(name);
            }
            catch {
                ips = [];
            }
            const clean = new Set();
            for (const ip of Array.isArray(ips) ? ips : []) {
                const literal = typeof ip === 'string' ? canonicalIP(ip) : undefined;
                if (literal !== undefined)
                    clean.add(literal);
            }
            result.set(name, [...clean]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
    // Map order follows `names`, not completion order, so the build input is deterministic.
    return new Map(names.map((n) => [n, result.get(n) ?? []]));
}
/**
 * The IPs of a host as buildTable sees them: an IP literal is itself; a hostname is what
 * `addresses` holds for it (nothing when it was not resolved).
 */
export function hostIPs(host, addresses) {
    if (host === '')
        return [];
    const literal = canonicalIP(host);
    if (literal !== undefined)
        return [literal];
    return addresses.get(host) ?? [];
}
