import { ReverseCollector } from './reverse-table.js';
/**
 * Adds a running task's PTR names: `label` is its sanitised task (or DiscoveryInfo) label,
 * `suffix` `hash-agenttail`, `fwTail` `.fw.domain.`.
 */
export function collectTaskPtrs(out, taskIps, agentIps, label, suffix, fwTail) {
    if (label === '')
        return;
    for (const ip of taskIps) {
        if (agentIps.some((a) => a.text === ip.text))
            continue;
        out.push({ ip: ip.text, canonical: `${label}-${suffix}${fwTail}`, name: `${label}${fwTail}` });
    }
}
/**
 * The reverse data of one build. `names` is the forward table: the agent, master, framework and
 * self names are read back from it, so a PTR never names what the forward zone does not answer.
 */
export function reversePtrs(tasks, names, zone, frameworks, mname, configuredZones) {
    const c = new ReverseCollector();
    // Sorted as a copy: the caller's list stays in state order (the incremental table keeps ranges of it).
    tasks = tasks.slice().sort((x, y) => (x.canonical < y.canonical ? -1 : x.canonical > y.canonical ? 1 : 0));
    for (const t of tasks)
        c.add(t.ip, t.canonical);
    for (const t of tasks)
        c.add(t.ip, t.name);
    for (const owner of reverseOwnerNames(names, zone, frameworks, mname)) {
        const records = names.get(owner);
        if (records === undefined)
            continue;
        for (const ip of records.a)
            c.add(ip, owner);
        for (const ip of records.aaaa)
            c.add(ip, owner);
    }
    return c.finish(configuredZones);
}
/** The forward names whose addresses get PTRs besides the tasks', in order (3. and 4. above). */
export function reverseOwnerNames(names, zone, frameworks, mname) {
    const owners = [`slave.${zone}`];
    for (let n = 0; names.has(`master${n}.${zone}`); n++)
        owners.push(`master${n}.${zone}`);
    owners.push(`leader.${zone}`, `master.${zone}`);
    for (const fw of frameworks)
        if (fw !== '')
            owners.push(`${fw}.${zone}`);
    owners.push(mname);
    return owners;
}
