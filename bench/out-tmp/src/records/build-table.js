import { masterRecords } from './master-records.js';
import { addIP, toIps } from './table-ips.js';
import { cachedLabelFunc } from './labels.js';
import { hostIPs } from './resolve-hosts.js';
import { KIND_A, KIND_AAAA, nameAt, PackedExisting, PackedNames, stringAt } from './packed-table.js';
import { TableBuilder } from './table-builder.js';
import { reverseTable } from './reverse-table.js';
import { reversePtrs } from './reverse-ptrs.js';
import { agentContext, frameworkContext, frameworkLabel, taskRecords } from './task-records.js';
export function buildTable(state, inputs) {
    return buildTableParts(state, inputs).table;
}
export function buildTableParts(state, inputs) {
    const { config } = inputs;
    const zone = config.typed.zone;
    const label = cachedLabelFunc(config.EnforceRFC952);
    const weight = config.SRVRecordDefaultWeight;
    // Sizes for the builder's arrays, so that they need not grow (a copy of tens of MB) or sit
    // mostly empty: about 4 names per task, and per task a few A records plus 4 SRVs per port
    // (bench/gen-state.ts: 3.8 names and 13.3 log entries per task).
    let tasks = 0;
    let ports = 0;
    for (const fw of state.frameworks) {
        tasks += fw.tasks.length;
        for (let t = 0; t < fw.tasks.length; t++) {
            const task = fw.tasks[t];
            ports += task.ports.length + (task.discovery === undefined ? 0 : task.discovery.ports.length);
        }
    }
    const b = new TableBuilder(0, weight, { names: 4 * tasks + 2 * state.agents.length, records: 6 * tasks + 4 * ports + 2 * state.agents.length });
    const seenIps = new Map();
    const ipsOf = (host) => toIps(b, seenIps, hostIPs(host, inputs.addresses));
    // --- frameworks: `fw.domain.` A/AAAA and `_framework._tcp.fw.domain.` ------------------------
    const fwNames = state.frameworks.map((fw) => frameworkLabel(fw.name, label));
    state.frameworks.forEach((fw, i) => {
        const fname = fwNames[i];
        if (fname === '')
            return;
        // A framework without a pid (HTTP API scheduler) is found by its `hostname`, with no SRV.
        const ips = ipsOf(fw.pid ? fw.pid.host : fw.hostname);
        if (ips.length === 0)
            return;
        const owner = b.name(`${fname}.${zone}`);
        for (const ip of ips)
            addIP(b, owner, ip);
        if (fw.pid)
            b.addSRV(b.name(`_framework._tcp.${fname}.${zone}`), owner, fw.pid.port);
    });
    // --- agents: `slave.domain.` and `_slave._tcp.domain.` ------------------------------------
    const agents = new Map();
    const slaveOwner = b.name(`slave.${zone}`);
    const slaveSrvOwner = b.name(`_slave._tcp.${zone}`);
    for (const agent of state.agents) {
        const ips = agent.pid ? ipsOf(agent.pid.host) : [];
        if (agent.pid && ips.length > 0) {
            for (const ip of ips)
                addIP(b, slaveOwner, ip);
            b.addSRV(slaveSrvOwner, slaveOwner, agent.pid.port);
        }
        agents.set(agent.id, agentContext(agent.id, ips));
    }
    // --- this server: the SOA MNAME record ------------------------------------------------------
    let mname = config.SOAMname.toLowerCase();
    if (!mname.endsWith('.'))
        mname += '.';
    const selfIps = toIps(b, seenIps, inputs.selfAddresses);
    if (selfIps.length > 0) {
        const owner = b.name(mname);
        for (const ip of selfIps)
            addIP(b, owner, ip);
    }
    masterRecords(b, state, inputs.masters, zone, ipsOf);
    // --- tasks ------------------------------------------------------------------------------
    // Indexed loops and plain arguments: this runs once per task, and on a server's first load it
    // runs before V8 has optimised it, when every iterator result and context object is a real
    // allocation.
    const prefixEnd = b.length;
    const frameworkTasks = [];
    const frameworks = state.frameworks;
    // PTR names of tasks with an address of their own (reverse-ptrs.ts); null when PtrOn is off.
    const taskPtrs = config.typed.ptr.on ? [] : null;
    const options = { ipSources: config.IPSources, seenIps, ptrs: taskPtrs };
    // Per framework, per task in state order: [log start, log end, ptrs start, ptrs end] (what the
    // incremental table starts from; equal bounds for a task that added nothing).
    const spans = [];
    const contexts = [];
    for (let i = 0; i < frameworks.length; i++) {
        const generated = { names: [], ids: [], bounds: [] };
        frameworkTasks.push(generated);
        const tasks = frameworks[i].tasks;
        const span = new Int32Array(4 * tasks.length);
        spans.push(span);
        const fname = fwNames[i];
        if (fname === '') {
            contexts.push(undefined);
            span.fill(b.length);
            continue;
        }
        const fwCtx = frameworkContext(fname, zone, label);
        contexts.push(fwCtx);
        for (let t = 0; t < tasks.length; t++) {
            const task = tasks[t];
            const start = b.length;
            const ptrStart = taskPtrs === null ? 0 : taskPtrs.length;
            const added = taskRecords(b, fwCtx, task, agents, options);
            span[4 * t] = start;
            span[4 * t + 1] = b.length;
            span[4 * t + 2] = ptrStart;
            span[4 * t + 3] = taskPtrs === null ? 0 : taskPtrs.length;
            if (!added)
                continue;
            generated.names.push(task.name);
            generated.ids.push(task.id);
            generated.bounds.push(start, b.length);
        }
    }
    const built = b.finish({ zone, srvPriority: 0, srvWeight: weight });
    const pending = state.frameworks.length === 0
        ? null
        : { frameworkNames: state.frameworks.map((fw) => fw.name), frameworkTasks, packed: built.packed, log: built.log, firstSeen: built.firstSeen };
    const reverse = taskPtrs === null ? undefined : reversePtrs(taskPtrs, new PackedNames(built.packed), zone, [...new Set(fwNames)], mname, config.typed.ptr.zones);
    const table = assemble(zone, mname, inputs, built.packed, pending, reverse);
    return { table, packed: built.packed, log: built.log, prefixEnd, spans, contexts, agents, seenIps, taskPtrs, mname, frameworkLabels: fwNames, label };
}
/**
 * The frozen table. Kept apart from buildTable so that the enumeration getter's closure holds
 * only the enumeration log, not the build's working state (the master state, the builder).
 */
function assemble(zone, mname, inputs, packed, pending, reverse) {
    const { config } = inputs;
    const soa = Object.freeze({
        zone,
        mname,
        rname: config.SOARname,
        serial: inputs.serial,
        refresh: config.SOARefresh,
        retry: config.SOARetry,
        expire: config.SOAExpire,
        // RFC 2308 §4 negative-caching TTL; mesos-dns puts `ttl` here, not SOAMinttl.
        minimum: config.TTL,
    });
    // /v1/enumerate is rare; its rows (one object per added record, over a million for 100,000
    // tasks) are materialised from the log on first read instead of during every build.
    let log = pending;
    let enumeration = null;
    return Object.freeze({
        zone,
        ttl: config.TTL,
        soa,
        ns: Object.freeze([mname]),
        names: new PackedNames(packed),
        existing: new PackedExisting(packed),
        packed,
        ...(reverse === undefined ? {} : { reverse: reverseTable(reverse) }),
        get enumeration() {
            if (log !== null) {
                enumeration = enumerate(log);
                log = null;
            }
            return enumeration;
        },
    });
}
/** /v1/enumerate: frameworks in state order (all of them), generated tasks, rows newly added by each task. */
function enumerate(pending) {
    const { packed, log, firstSeen } = pending;
    return Object.freeze(pending.frameworkNames.map((name, i) => ({
        name,
        tasks: enumerateTasks(packed, log, firstSeen, pending.frameworkTasks[i]),
    })));
}
function enumerateTasks(packed, log, firstSeen, generated) {
    const out = [];
    for (let k = 0; k < generated.names.length; k++) {
        const records = [];
        for (let j = generated.bounds[2 * k]; j < generated.bounds[2 * k + 1]; j++) {
            if (firstSeen[j] === 0)
                continue;
            const owner = nameAt(packed, log[3 * j]);
            const value = log[3 * j + 1];
            const kind = log[3 * j + 2];
            if (kind === KIND_A || kind === KIND_AAAA)
                records.push({ name: owner, host: stringAt(packed.ips, value), rtype: kind === KIND_A ? 'A' : 'AAAA' });
            else
                records.push({ name: owner, host: `${nameAt(packed, value)}:${kind}`, rtype: 'SRV' });
        }
        out.push({ name: generated.names[k], id: generated.ids[k], records: records.length > 0 ? records : null });
    }
    return out;
}
