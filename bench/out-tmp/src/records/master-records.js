import { sameHostPort } from '../net/address.js';
import { KIND_A, KIND_AAAA } from './packed-table.js';
import { addIP } from './table-ips.js';
/**
 * `leader.`, `master.`, `masterN.` and the `_leader` SRVs, numbered as mesos-dns masterRecord
 * (its TestMasterRecord table): masters-list order; a master whose addresses are all already under
 * `master.` is a duplicate and uses no index; the leader, if not listed, gets the next index.
 * Hosts that do not resolve are skipped and use no index.
 */
export function masterRecords(b, state, masters, zone, ipsOf) {
    const leader = state.leader;
    const leaderIps = ipsOf(leader.host);
    const leaderOwner = b.name(`leader.${zone}`);
    const masterOwner = b.name(`master.${zone}`);
    const addAll = (owner, ips) => {
        for (const ip of ips)
            addIP(b, owner, ip);
    };
    /** Adds the IPs to `master.`; false when it held every one of them already. */
    const addToMaster = (ips) => {
        let added = false;
        for (const ip of ips) {
            if (b.has(masterOwner, ip.id, ip.v6 ? KIND_AAAA : KIND_A))
                continue;
            addIP(b, masterOwner, ip);
            added = true;
        }
        return added;
    };
    if (leaderIps.length > 0) {
        addAll(leaderOwner, leaderIps);
        addToMaster(leaderIps);
        for (const owner of [`_leader._tcp.${zone}`, `_leader._udp.${zone}`])
            b.addSRV(b.name(owner), leaderOwner, leader.port);
    }
    let index = 0;
    let leaderNumbered = false;
    for (const hp of masters) {
        const ips = ipsOf(hp.host);
        if (ips.length === 0)
            continue;
        const isLeader = sameHostPort(hp, leader);
        if (!isLeader) {
            if (!addToMaster(ips))
                continue; // duplicate master
        }
        else if (leaderNumbered) {
            continue; // the leader listed twice
        }
        addAll(b.name(`master${index}.${zone}`), ips);
        index++;
        if (isLeader)
            leaderNumbered = true;
    }
    if (!leaderNumbered && leaderIps.length > 0)
        addAll(b.name(`master${index}.${zone}`), leaderIps);
}
