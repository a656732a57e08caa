// Deterministic synthetic /master/state documents for the benchmarks (issue 4): N RUNNING tasks,
// two host ports each, about N/50 agents, a handful of frameworks. The same (n, seed) always
// gives the same document, so Knot and our server are measured on identical records.
//
// Shape follows a Mesos 1.x master (GET /master/state), with the
// fields mesos-dns reads plus some of the bulk around them (resources, agent attributes): about
// 395 bytes per task, so 100,000 tasks make 39.5 MB of JSON, a little more than the 34 MB of the
// state mesos-dns was measured on in issue 4 (the comparison errs against us, not for us).
//
// CLI (after `npm run bench` compiled it): `npx node bench/out/bench/gen-state.js N [SEED] [OUT]`;
// without OUT the JSON goes to stdout.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../test/helpers/seeded-random.js';
const DEFAULTS = {
    tasksPerAgent: 50,
    netinfoShare: 0.25,
    ipv6Share: 0.1,
    discoveryShare: 0.1,
    maxInstances: 6,
    leader: 'master@10.0.0.1:5050',
};
/** Framework name and its weight in the task mix. */
const FRAMEWORKS = [
    ['marathon', 55],
    ['marathon-user', 10],
    ['aurora', 15],
    ['spark', 10],
    ['kafka', 10],
];
const APP_WORDS = ['web', 'api', 'worker', 'cache', 'db', 'queue', 'search', 'auth', 'billing', 'metrics', 'proxy', 'batch'];
/** Mesos ids all start with the master's id; agents get `-S<i>`, frameworks `-<4 digits>`. */
const MASTER_ID = '20240101-000000-16777343-5050-1';
const BASE_TIME = 1_700_000_000;
function hex(rand, digits) {
    let s = '';
    for (let i = 0; i < digits; i++)
        s += ((rand() * 16) | 0).toString(16);
    return s;
}
function uuid(rand) {
    return `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`;
}
/** The i-th address counting up from `a.b.0.0` (carries into b every 65,536 addresses). */
function poolIp(a, b, i) {
    return `${a}.${b + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}`;
}
/**
 * A /master/state document with `n` tasks, all TASK_RUNNING on known agents. Task names are
 * `<word>-<app#>` (Marathon groups for a third of marathon apps: `<word>-<app#>.prod`), so every
 * task name is a valid label once its dots become dashes (mesos-dns label(), §5.1).
 */
export function generateState(n, seed = 1, options = {}) {
    if (!Number.isInteger(n) || n < 0)
        throw new RangeError(`generateState: n must be a non-negative integer, got ${n}`);
    const opt = { ...DEFAULTS, ...options };
    const rand = seededRandom(seed);
    const agentCount = Math.max(1, Math.round(n / opt.tasksPerAgent));
    const slaves = [];
    for (let i = 0; i < agentCount; i++) {
        const ip = poolIp(10, 1, i + 1);
        slaves.push({
            id: `${MASTER_ID}-S${i}`,
            pid: `slave(1)@${ip}:5051`,
            hostname: `agent-${String(i).padStart(4, '0')}.cluster.internal`,
            registered_time: BASE_TIME - 86_400 + i,
            active: true,
            resources: { cpus: 32, mem: 128_000, disk: 1_000_000, ports: '[31000-32000]' },
            attributes: { rack: `r${i % 40}` },
        });
    }
    const weightTotal = FRAMEWORKS.reduce((s, [, w]) => s + w, 0);
    const frameworks = FRAMEWORKS.map(([name], i) => ({
        id: `${MASTER_ID}-${String(i).padStart(4, '0')}`,
        name,
        pid: `scheduler-${uuid(rand)}@10.0.0.${10 + i}:${15_000 + i}`,
        hostname: `${name}.cluster.internal`,
        active: true,
        role: '*',
        user: 'root',
        tasks: [],
    }));
    const pickFramework = () => {
        let r = rand() * weightTotal;
        for (let i = 0; i < FRAMEWORKS.length; i++) {
            r -= FRAMEWORKS[i][1];
            if (r < 0)
                return i;
        }
        return FRAMEWORKS.length - 1;
    };
    // Next free host port per agent; two per task, wrapping inside the agent's 31000-32000 range.
    const nextPort = new Uint16Array(agentCount).fill(31000);
    let containerIps = 0;
    let made = 0;
    for (let app = 0; made < n; app++) {
        const fwIndex = pickFramework();
        const fw = frameworks[fwIndex];
        const word = APP_WORDS[(rand() * APP_WORDS.length) | 0];
        const grouped = fw.name === 'marathon' && rand() < 1 / 3;
        const name = `${word}-${String(app).padStart(6, '0')}${grouped ? '.prod' : ''}`;
        const label = name.replace(/\./g, '-');
        const discovery = rand() < opt.discoveryShare;
        const instances = Math.min(n - made, 1 + ((rand() * opt.maxInstances) | 0));
        for (let k = 0; k < instances; k++, made++) {
            const agent = (rand() * agentCount) | 0;
            let port = nextPort[agent];
            if (port + 1 > 32000)
                port = 31000;
            nextPort[agent] = port + 2;
            const runningStatus = {
                state: 'TASK_RUNNING',
                timestamp: BASE_TIME + made / 1000,
            };
            if (rand() < opt.netinfoShare) {
                // IPv6 in RFC 5952 form (fd01:b:0:0:0:1:hi:lo), as the table stores it.
                const ips = [{ protocol: 'IPv4', ip_address: poolIp(172, 16, containerIps + 1) }];
                if (rand() < opt.ipv6Share)
                    ips.push({ protocol: 'IPv6', ip_address: `fd01:b::1:${(containerIps >>> 16).toString(16)}:${(containerIps & 0xffff).toString(16)}` });
                containerIps++;
                runningStatus.container_status = { network_infos: [{ ip_addresses: ips, name: 'dcos' }] };
            }
            const task = {
                id: `${name}.${uuid(rand)}`,
                name,
                framework_id: fw.id,
                slave_id: slaves[agent].id,
                state: 'TASK_RUNNING',
                resources: { cpus: 0.5, mem: 256, disk: 0, ports: `[${port}-${port + 1}]` },
                statuses: [runningStatus],
            };
            if (discovery) {
                task.discovery = {
                    name: label,
                    ports: {
                        ports: [
                            { number: 80, name: 'http', protocol: 'tcp' },
                            { number: 443, name: 'https', protocol: 'tcp' },
                        ],
                    },
                };
            }
            fw.tasks.push(task);
        }
    }
    return {
        version: '1.11.0',
        id: `${MASTER_ID}`,
        pid: opt.leader,
        leader: opt.leader,
        activated_slaves: agentCount,
        deactivated_slaves: 0,
        start_time: BASE_TIME - 86_400,
        elected_time: BASE_TIME - 86_000,
        slaves,
        frameworks,
        completed_frameworks: [],
        unregistered_frameworks: [],
    };
}
/** The JSON text a master would send, as one string (what the state file source reads). */
export function generateStateText(n, seed = 1, options = {}) {
    return JSON.stringify(generateState(n, seed, options));
}
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
    const n = Number(process.argv[2] ?? '1000');
    const seed = Number(process.argv[3] ?? '1');
    const out = process.argv[4];
    const text = generateStateText(n, seed);
    if (out)
        writeFileSync(out, text);
    else
        process.stdout.write(text);
}
