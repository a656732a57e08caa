// The native state reader (native/state-reader.c through src/mesos/read-state.ts) against the
// JavaScript one (JSON.parse + parseState): for every document, either both give the same
// MasterState (compared strictly: -0, undefined members and array kinds count) or both throw the
// same error. The native reader must also really read the ordinary documents (not decline them),
// or the comparison would only be testing the fallback.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { generateStateText } from '../bench/gen-state.js';
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import { StateFetchError } from '../src/errors.js';
import { fetchLeaderState } from '../src/mesos/fetch-state.js';
import { createMasterHttp } from '../src/mesos/master-http.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { ArrivingDocument, readStateBytes, stateReaderAddon, type StateReaderAddon } from '../src/mesos/read-state.js';
import type { MasterState } from '../src/mesos/state.js';
import { taskHash } from '../src/records/task-hash.js';
import { silentLogger } from '../src/log.js';
import { seededRandom } from './helpers/seeded-random.js';
import { masters } from './helpers/masters.js';

const fixture = readFileSync(new URL('./fixtures/mesos-state-fake.json', import.meta.url));
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function nativeAddon(): StateReaderAddon {
  const loaded = stateReaderAddon();
  if (!('addon' in loaded)) throw new Error(`the native state reader is not built: ${loaded.reason}`);
  return loaded.addon;
}

type Outcome = { state: MasterState } | { error: string; code: unknown };

function outcome(read: () => MasterState): Outcome {
  try {
    return { state: read() };
  } catch (err) {
    return { error: (err as Error).message, code: (err as { code?: unknown }).code };
  }
}

/**
 * Both readers on `bytes`: the same outcome; returns why the native reader declined, if it did.
 * The native reader also gives each task its hash (Task.idHash), which must be taskHash(id); it
 * is checked and then set aside for the comparison.
 */
function expectSameAsJavaScript(bytes: Uint8Array): string | undefined {
  const js = outcome(() => parseStateText(decoder.decode(bytes)));
  let declined: string | undefined;
  const native = outcome(() => {
    const read = readStateBytes(bytes, nativeAddon());
    declined = read.declined;
    return declined === undefined ? withoutIdHashes(read.state) : read.state;
  });
  expect(native).toStrictEqual(js);
  return declined;
}

const bytesOf = (doc: unknown): Buffer => Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));

/** Task.idHash, which only the native reader fills in, checked and removed. */
function withoutIdHashes(state: MasterState): MasterState {
  for (const fw of state.frameworks) {
    for (const task of fw.tasks) {
      expect(task.idHash).toBe(taskHash(task.id));
      delete task.idHash;
    }
  }
  return state;
}

/**
 * A small state with every field DNS reads, in awkward forms: members in unusual order, nulls,
 * escapes and non-ASCII text, several statuses, both network-info forms, labels, DiscoveryInfo,
 * port ranges the plain reader takes and ones it leaves to the general parser.
 */
function richState(): Record<string, unknown> {
  return {
    version: '1.11.0',
    frameworks: [
      {
        tasks: [
          {
            statuses: [
              { state: 'TASK_STARTING', timestamp: 1458823300 },
              { timestamp: 1458823233.62374, state: 'TASK_RUNNING', labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.2' }], healthy: true },
              { state: 'TASK_RUNNING', timestamp: 1458823233.62374, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.9' }] },
            ],
            state: 'TASK_RUNNING',
            slave_id: 'S1',
            name: 'nginx',
            id: 'nginx.1',
            framework_id: 'ignored',
            resources: { cpus: 1, ports: '[31000-31002, 31005-31005]' },
          },
          {
            id: 'caf\u00e9.2',
            name: 'caf\u00e9 \ud83d\ude00',
            slave_id: 'S2',
            state: 'TASK_RUNNING',
            resources: { ports: ' [31000-31000]\t' },
            statuses: [
              {
                state: 'TASK_RUNNING',
                timestamp: 2e9,
                healthy: false,
                labels: [
                  { key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '10.0.0.7' },
                  { key: 'MesosContainerizer.NetworkSettings.IPAddress' },
                  { key: 'other', value: 'x' },
                  { value: 'no key' },
                ],
                container_status: {
                  network_infos: [
                    { ip_addresses: [{ ip_address: '10.9.0.1' }, { ip_address: '' }, { protocol: 'IPv6', ip_address: 'fd00::1' }, {}] },
                    { ip_address: '10.9.0.2', ip_addresses: [] },
                    { ip_address: '10.9.0.3' },
                    { ip_addresses: null, ip_address: null },
                  ],
                },
              },
            ],
            discovery: {
              name: 'web.app',
              visibility: 'FRAMEWORK',
              ports: {
                ports: [
                  { number: 80, protocol: 'tcp', name: 'http' },
                  { number: 8.0e1, name: null },
                  { protocol: 'udp', number: 53 },
                  { number: 70000, protocol: 'tcp' },
                  { number: -1 },
                  {},
                ],
              },
            },
          },
          // An id longer than one SHA-1 block, for its hash.
          { id: `no-status-${'z'.repeat(120)}`, name: 'quiet', slave_id: 'S1', state: 'TASK_STAGING', resources: { ports: '[]' }, statuses: [] },
          { id: 'bad-ranges', name: 'odd', slave_id: 'S1', state: 'TASK_RUNNING', resources: { ports: '[31002-31001]' }, statuses: null, discovery: { name: '', ports: { ports: [{ number: 1 }] } } },
          { id: 'empty-status', name: 'x', statuses: [{ state: 'TASK_RUNNING', container_status: {} }], resources: null, discovery: null },
          { id: 'wordy-ranges', name: 'y', resources: { ports: 'ports 31000' }, statuses: [{ state: 'TASK_RUNNING', container_status: { network_infos: null } }] },
        ],
        id: 'f1',
        name: 'Marathon',
        pid: 'scheduler-1@10.1.0.9:25501',
        hostname: 'm1.example.com',
      },
      { id: 'f2', name: null, hostname: 'h2', tasks: null },
      { id: 'f3', tasks: [] },
    ],
    slaves: [
      { id: 'S1', pid: 'slave(1)@10.1.0.1:5051', hostname: 'agent-1', resources: { ports: '[31000-32000]' } },
      { hostname: 'agent-2', id: 'S2', pid: 'slave(1)@[2001:db8::2]:5051' },
      { id: 'S3', hostname: null },
    ],
    leader: 'master@10.0.0.1:5050',
    completed_frameworks: [{ id: 'old', tasks: [{ id: 'gone' }] }],
  };
}

describe('native state reader', () => {
  it('is built (npm run build; CI requires it)', () => {
    expect(stateReaderAddon()).toHaveProperty('addon');
  });

  it('reads the recorded master state exactly as parseState does', () => {
    expect(expectSameAsJavaScript(fixture)).toBeUndefined();
  });

  it.each([
    [1, 10],
    [2, 500],
    [3, 3000],
  ])('reads synthetic states exactly as parseState does (seed %i, %i tasks)', (seed, tasks) => {
    expect(expectSameAsJavaScript(bytesOf(generateStateText(tasks, seed)))).toBeUndefined();
  });

  it('reads every field DNS needs, in awkward forms, exactly as parseState does', () => {
    const doc = richState();
    expect(expectSameAsJavaScript(bytesOf(doc))).toBeUndefined();
    // The same, pretty-printed with other whitespace, and with escapes where raw text was.
    const pretty = JSON.stringify(doc, null, '\t').replace(/\n/g, '\r\n');
    expect(expectSameAsJavaScript(bytesOf(pretty))).toBeUndefined();
    const escaped = JSON.stringify(doc).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(escaped).toContain('\\ud83d\\ude00');
    expect(expectSameAsJavaScript(bytesOf(escaped.replace('"name":"nginx"', '"n\\u0061me":"ng\\/inx\\n"')))).toBeUndefined();
    // Sanity: the rich state has what it claims to have.
    const { state } = readStateBytes(bytesOf(doc), nativeAddon());
    const [nginx, cafe] = state.frameworks[0].tasks;
    expect(nginx.ports).toEqual([31000, 31001, 31002, 31005]);
    expect(nginx.running).toEqual({ timestamp: 1458823233.62374, networkIPs: [], mesosLabelIPs: [], dockerLabelIPs: ['172.17.0.2'], healthy: true });
    expect(cafe.name).toBe('caf\u00e9 \ud83d\ude00');
    expect(cafe.ports).toEqual([31000]);
    expect(cafe.running?.networkIPs).toEqual(['10.9.0.1', 'fd00::1', '10.9.0.2', '10.9.0.3']);
    expect(cafe.running?.mesosLabelIPs).toEqual(['10.0.0.7', '']);
    expect(cafe.discovery?.ports).toEqual([
      { number: 80, protocol: 'tcp', name: 'http' },
      { number: 80, protocol: '', name: '' },
      { number: 53, protocol: 'udp', name: '' },
      { number: 0, protocol: '', name: '' },
    ]);
    expect(state.frameworks[0].tasks[3].discovery).toBeUndefined();
  });

  it.each<[string, string]>([
    ['a JSON syntax error', '{"leader": "master@1.2.3.4:5050",}'],
    ['trailing text', '{"leader": "master@1.2.3.4:5050"} x'],
    ['a byte order mark', '\ufeff{"leader": "master@1.2.3.4:5050"}'],
    ['a raw control character in a skipped string', '{"leader": "master@1.2.3.4:5050", "x": "a\u0001b"}'],
    ['a bad escape in a skipped string', '{"leader": "master@1.2.3.4:5050", "x": "\\x"}'],
    ['no leader', '{"slaves": []}'],
    ['an empty leader', '{"leader": ""}'],
    ['a leader that is not a pid', '{"leader": "nonsense"}'],
    ['a leader that is a number', '{"leader": 5}'],
    ['slaves that are an object', '{"leader": "master@1.2.3.4:5050", "slaves": {}}'],
    ['frameworks that are a string', '{"leader": "master@1.2.3.4:5050", "frameworks": "f"}'],
    ['a state that is an array', '[]'],
    ['nothing', ''],
  ])('fails on %s with the error parseState gives', (_, doc) => {
    const bytes = bytesOf(doc);
    const js = outcome(() => parseStateText(decoder.decode(bytes)));
    expect(js).toHaveProperty('error');
    expectSameAsJavaScript(bytes);
  });

  // Each among good elements, which must stay; the native reader reads these itself.
  const good = '{"id": "ok", "name": "web", "slave_id": "S1", "state": "TASK_RUNNING"}';
  it.each<[string, string, string]>([
    ['an agent pid that is null', '"slaves": [{"id": "a", "pid": null}, {"id": "b"}]', 'state.slaves[0] a .pid: expected a pid string, got null'],
    ['an agent pid that does not parse', '"slaves": [{"id": "b"}, {"id": "a", "pid": "x@y"}]', 'state.slaves[1] a .pid: malformed pid "x@y": expected name@host:port'],
    ['an agent that is not an object', '"slaves": [7, {"id": "b"}]', 'state.slaves[0] - : expected an object'],
    ['a framework pid that does not parse', `"frameworks": [{"id": "f", "pid": "bad", "tasks": [${good}, 5]}, {"id": "g", "tasks": [${good}]}]`, 'state.frameworks[0] f .pid: malformed pid "bad": expected exactly one "@" (name@host:port)'],
    ['a framework name that is a number', `"frameworks": [{"id": "g", "tasks": [${good}]}, {"id": "f", "tasks": [${good}], "name": 1}]`, 'state.frameworks[1] f .name: expected a string'],
    ['tasks that are an object', `"frameworks": [{"id": "f", "tasks": {}}, {"id": "g", "tasks": [${good}]}]`, 'state.frameworks[0] f .tasks: expected an array'],
    ['a task that is not an object', `"frameworks": [{"id": "f", "tasks": [null, ${good}]}]`, 'state.frameworks[0].tasks[0] - : expected an object'],
    ['a task name that is a number', `"frameworks": [{"id": "f", "tasks": [${good}, {"id": "t", "name": 5}]}]`, 'state.frameworks[0].tasks[1] t .name: expected a string'],
    ['a framework_id that is an object', `"frameworks": [{"id": "f", "tasks": [{"framework_id": {}}, ${good}]}]`, 'state.frameworks[0].tasks[0] - .framework_id: expected a string'],
    ['statuses that are a string', `"frameworks": [{"id": "f", "tasks": [${good}, {"id": "t", "statuses": "TASK_RUNNING"}]}]`, 'state.frameworks[0].tasks[1] t .statuses: expected an array'],
    ['resources that are an array', `"frameworks": [{"tasks": [{"resources": []}, ${good}]}]`, 'state.frameworks[0].tasks[0] - .resources: expected an object'],
    ['a timestamp that is a string', `"frameworks": [{"tasks": [${good}, {"statuses": [{"state": "TASK_RUNNING", "timestamp": "1"}]}]}]`, 'state.frameworks[0].tasks[1] - .statuses[0].timestamp: expected a number'],
    ['a discovery port that is not an integer', `"frameworks": [{"tasks": [{"discovery": {"name": "d", "ports": {"ports": [{"number": 80.5}]}}}, ${good}]}]`, 'state.frameworks[0].tasks[0] - .discovery.ports.ports[0].number: expected an integer'],
    ['healthy that is a string', `"frameworks": [{"tasks": [${good}, {"statuses": [{"state": "TASK_RUNNING", "healthy": "yes"}]}]}]`, 'state.frameworks[0].tasks[1] - .statuses[0].healthy: expected a boolean'],
  ])('leaves out %s, keeps the rest, and lists it as parseState does', (_, members, expected) => {
    const bytes = bytesOf(`{"leader": "master@1.2.3.4:5050", ${members}}`);
    expect(expectSameAsJavaScript(bytes)).toBeUndefined();
    const { state } = readStateBytes(bytes, nativeAddon());
    expect(state.skipped?.map((e) => `${e.path} ${e.id ?? '-'} ${e.reason}`)).toEqual([expected]);
    // The good elements are all there.
    expect(state.agents.length + state.frameworks.flatMap((f) => f.tasks).length).toBeGreaterThan(0);
  });

  it('leaves to parseState a task it finds malformed where parseState does not look', () => {
    // A bad label of a status that is not the newest RUNNING one: the reader refuses the task,
    // parseState never reads that label and keeps it, so the document goes the JavaScript way.
    const doc = `{"leader": "master@1.2.3.4:5050", "frameworks": [{"tasks": [{"id": "t", "statuses": [{"state": "TASK_STAGING", "labels": [5]}]}]}]}`;
    expect(expectSameAsJavaScript(bytesOf(doc))).toMatch(/parseState/);
  });

  it.each<[string, string, RegExp]>([
    ['a key it reads, twice (JSON.parse keeps the last)', '{"leader": "master@1.2.3.4:5050", "frameworks": [{"id": "a", "id": "b", "tasks": [{"id": "t"}]}]}', /repeated/],
    ['a lone surrogate escape in a name', '{"leader": "master@1.2.3.4:5050", "frameworks": [{"id": "f", "name": "\\ud800x"}]}', /surrogate/],
    ['invalid UTF-8 in a name', '{"leader": "master@1.2.3.4:5050", "frameworks": [{"id": "f", "name": "a\u00ffb"}]}', /UTF-8/],
    ['a timestamp it cannot convert exactly', '{"leader": "master@1.2.3.4:5050", "frameworks": [{"tasks": [{"statuses": [{"state": "TASK_RUNNING", "timestamp": 1.2345678901234567890123e9}]}]}]}', /exactly/],
    ['a port of -0', '{"leader": "master@1.2.3.4:5050", "frameworks": [{"tasks": [{"discovery": {"name": "d", "ports": {"ports": [{"number": -0}]}}}]}]}', /-0/],
    ['deep nesting', `{"leader": "master@1.2.3.4:5050", "x": ${'['.repeat(600)}${']'.repeat(600)}}`, /deep/],
  ])('leaves %s to JSON.parse, with the same result', (_, doc, why) => {
    // \u00ff is written as the single byte 0xff, which is not UTF-8.
    const bytes = doc.includes('\u00ff') ? Buffer.from(doc, 'latin1') : bytesOf(doc);
    expect(expectSameAsJavaScript(bytes)).toMatch(why);
  });

  it('agrees with parseState on thousands of damaged documents', () => {
    const rand = seededRandom(20261130);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
    const values: unknown[] = [null, 0, 1.5, -1, 65536, '', 'x', 'TASK_RUNNING', '[1-2]', true, false, [], {}, [{}], { name: 'n' }, ['a']];
    const bytes = [' ', '"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', 'a', '\u0001', '\u00e9'];
    let nativeRead = 0;
    let failed = 0;
    let partial = 0;
    let partialNativeRead = 0;
    const cases = 4000;
    for (let n = 0; n < cases; n++) {
      const doc = richState();
      // Structural damage: replace, delete or duplicate a value somewhere in the document.
      const nodes: Array<[Record<string, unknown> | unknown[], string | number]> = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach((x, i) => (nodes.push([v, i]), walk(x)));
        else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) nodes.push([v as Record<string, unknown>, k]), walk(x);
      };
      walk(doc);
      let text: string;
      const [parent, key] = pick(nodes);
      const op = rand();
      if (op < 0.5) {
        (parent as Record<string | number, unknown>)[key] = pick(values);
        text = JSON.stringify(doc);
      } else if (op < 0.65 && !Array.isArray(parent)) {
        delete (parent as Record<string, unknown>)[key as string];
        text = JSON.stringify(doc);
      } else if (op < 0.8 && !Array.isArray(parent)) {
        // The member again, with another value, at the start of its object.
        const marker = '"__dup__":0';
        (parent as Record<string, unknown>).__dup__ = 0;
        text = JSON.stringify(doc).replace(marker, `${JSON.stringify(key)}:${JSON.stringify(pick(values))}`);
      } else {
        // Byte damage: cut, overwrite or insert one character.
        text = JSON.stringify(doc);
        const at = Math.floor(rand() * text.length);
        const kind = rand();
        text = kind < 0.2 ? text.slice(0, at) : kind < 0.6 ? text.slice(0, at) + pick(bytes) + text.slice(at + 1) : text.slice(0, at) + pick(bytes) + text.slice(at);
      }
      const raw = bytesOf(text);
      const declined = expectSameAsJavaScript(raw);
      if (declined === undefined) nativeRead++;
      const js = outcome(() => parseStateText(text));
      if ('error' in js) failed++;
      else if (js.state.skipped) {
        partial++;
        if (declined === undefined) partialNativeRead++;
      }
    }
    // The damage must have exercised every outcome (refused, read whole, read with elements left
    // out), and the native reader must have read most of the documents itself, including most of
    // those with elements left out (expectSameAsJavaScript compared their skip lists).
    expect(failed).toBeGreaterThan(cases / 10);
    expect(partial).toBeGreaterThan(cases / 10);
    expect(partialNativeRead).toBeGreaterThan(partial / 2);
    expect(nativeRead).toBeGreaterThan(cases / 2);
  });

  it('hashes task ids of every length as taskHash does, with and without the CPU\'s SHA extensions', () => {
    // Ids from 0 to 200 bytes (one to four SHA-1 blocks, every padding case), ASCII and not. The
    // reader picks the SHA-NI rounds when the CPU has them; MDNS_SHA1_PORTABLE forces the others,
    // so both are checked wherever this runs.
    const script = `
      const { readStateBytes } = await import(${JSON.stringify(new URL('../dist/mesos/read-state.js', import.meta.url).href)});
      const { taskHash } = await import(${JSON.stringify(new URL('../dist/records/task-hash.js', import.meta.url).href)});
      const tasks = [];
      for (let len = 0; len <= 200; len++) {
        tasks.push({ id: 'x'.repeat(len), name: 'a' });
        if (len >= 2) tasks.push({ id: 'é'.repeat(len >> 1) + String.fromCharCode(33 + (len % 90)), name: 'b' });
      }
      const { state, declined } = readStateBytes(Buffer.from(JSON.stringify({ leader: 'master@1.2.3.4:5050', frameworks: [{ id: 'f', tasks }] })));
      const wrong = state.frameworks[0].tasks.filter((t) => t.idHash !== taskHash(t.id)).length;
      console.log(JSON.stringify({ declined: declined ?? null, tasks: tasks.length, wrong }));`;
    for (const env of [{}, { MDNS_SHA1_PORTABLE: '1' }]) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8', env: { ...process.env, ...env } });
      expect(JSON.parse(out)).toEqual({ declined: null, tasks: 400, wrong: 0 });
    }
  });

  it('survives damaged documents in C without a memory error, a leak or undefined behaviour', () => {
    // test/native/state-reader-fuzz.c, built with AddressSanitizer and UndefinedBehaviorSanitizer
    // around the reader's own source: 20,000 damaged documents, read whole, and every fourth also
    // in random pieces on the reader's thread (sometimes cancelled), which must agree.
    const dir = mkdtempSync(path.join(tmpdir(), 'mdns-fuzz-'));
    try {
      const root = fileURLToPath(new URL('..', import.meta.url));
      const include = [
        path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
        path.join(root, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`, 'include', 'node'),
        '/usr/include/node',
        '/usr/local/include/node',
      ].find((d) => existsSync(path.join(d, 'node_api.h')));
      expect(include).toBeDefined();
      const binary = path.join(dir, 'fuzz');
      execFileSync(process.env.CC || 'cc', [
        '-O1', '-g', '-std=gnu11', '-pthread', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
        '-I', include as string, path.join(root, 'test', 'native', 'state-reader-fuzz.c'), '-o', binary,
      ], { stdio: 'pipe', timeout: 60_000 });
      const rich = path.join(dir, 'rich.json');
      writeFileSync(rich, JSON.stringify(richState()));
      const fixtureFile = fileURLToPath(new URL('./fixtures/mesos-state-fake.json', import.meta.url));
      const out = execFileSync(binary, [rich, fixtureFile, '-n', '20000'], { encoding: 'utf8', timeout: 120_000 });
      const m = /^ok (\d+) declined (\d+) partial (\d+)$/.exec(out.trim());
      expect(m).not.toBeNull();
      // Every outcome was exercised: read, declined, and read with elements left out.
      expect(Number(m?.[1])).toBeGreaterThan(100);
      expect(Number(m?.[2])).toBeGreaterThan(100);
      expect(Number(m?.[3])).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a document that arrives in pieces, whatever the cut, as it reads it whole', () => {
    const addon = nativeAddon();
    const rand = seededRandom(7);
    const docs = [fixture, bytesOf(richState()), bytesOf(JSON.stringify(richState(), null, 2)), bytesOf(generateStateText(300, 5))];
    // Damaged ones too: the reader must decline (or fail) the same way in pieces.
    docs.push(bytesOf(JSON.stringify(richState()).slice(0, 700)), bytesOf('{"leader": "master@1.2.3.4:5050", "x": 1e}'));
    for (const bytes of docs) {
      const whole = addon.read(bytes);
      // Byte by byte only where that stays quick: each piece hands over to the reader thread.
      for (const maxChunk of bytes.length < 10_000 ? [1, 3, 64, 4096] : [64, 4096]) {
        const doc = new ArrivingDocument(addon, bytes.length);
        for (let at = 0; at < bytes.length; ) {
          const n = 1 + Math.floor(rand() * maxChunk);
          expect(doc.push(bytes.subarray(at, at + n))).toBe(true);
          at += n;
        }
        const read = doc.finish();
        expect(read?.bytes).toEqual(bytes);
        expect(read?.native).toStrictEqual(whole);
      }
    }
    expect(typeof addon.read(docs[0])).toBe('object');
  });

  it('stops a reader whose document is cut short, refused, or abandoned', () => {
    const addon = nativeAddon();
    const bytes = bytesOf(generateStateText(200, 6));
    // Fewer bytes than announced: no result, and the reader is stopped.
    const short = new ArrivingDocument(addon, bytes.length);
    short.push(bytes.subarray(0, 1000));
    expect(short.finish()).toBeUndefined();
    // More than announced: refused, nothing kept.
    const long = new ArrivingDocument(addon, 10);
    expect(long.push(bytes.subarray(0, 11))).toBe(false);
    long.cancel();
    // Cancelled half way, and cancelled before anything came.
    const half = new ArrivingDocument(addon, bytes.length);
    half.push(bytes.subarray(0, bytes.length >> 1));
    half.cancel();
    new ArrivingDocument(addon, bytes.length).cancel();
  });

  it('stops readers that are dropped unfinished when they are collected', () => {
    // A child process opens readers, feeds them part of a document, drops them and collects them:
    // each finaliser stops its reader thread and waits for it, so a reader that did not stop
    // would hang the child (and fail this test on its timeout) instead of letting it finish.
    const script = `
      const { ArrivingDocument, stateReaderAddon } = await import(${JSON.stringify(new URL('../dist/mesos/read-state.js', import.meta.url).href)});
      const addon = stateReaderAddon().addon;
      const text = Buffer.from('{"leader": "master@1.2.3.4:5050", "frameworks": [' + '{"id": "f", "tasks": []},'.repeat(1000));
      for (let i = 0; i < 20; i++) new ArrivingDocument(addon, text.length + 100).push(text);
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
      globalThis.gc();
      console.log('done');`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(out.trim()).toBe('done');
  });

  it('is what the poller reads with: while the body arrives, whole, gzip, and says when it declined', async () => {
    const addon = nativeAddon();
    let opened = 0;
    let reads = 0;
    const counting: StateReaderAddon = {
      read: (bytes) => (reads++, addon.read(bytes)),
      open: (buffer) => (opened++, addon.open(buffer)),
      push: (h, n) => addon.push(h, n),
      finish: (h, n) => addon.finish(h, n),
      cancel: (h) => addon.cancel(h),
    };
    let body: Buffer = Buffer.alloc(0);
    let mode: 'length' | 'chunked' | 'gzip' | 'short' = 'length';
    const server = http.createServer((_req, res) => {
      if (mode === 'short') {
        // Announces more than it sends, then hangs up.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length + 10 });
        res.write(body, () => res.destroy());
        return;
      }
      const sent = mode === 'gzip' ? gzipSync(body) : body;
      res.writeHead(200, { 'content-type': 'application/json', ...(mode === 'gzip' ? { 'content-encoding': 'gzip' } : {}), ...(mode === 'chunked' ? {} : { 'content-length': sent.length }) });
      // In pieces, as a large body comes over the network.
      for (let at = 0; at < sent.length; at += 1000) res.write(sent.subarray(at, at + 1000));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const leader = `master@127.0.0.1:${port}`;
    const client = createMasterHttp(withTyped({ ...DEFAULTS, StateTimeoutSeconds: 5 }), silentLogger);
    const fetch = () => fetchLeaderState(client, masters([`127.0.0.1:${port}`]), undefined, counting);
    try {
      body = bytesOf(generateStateText(50, 4, { leader }));
      const want = parseStateText(body.toString());
      const streamed = await fetch();
      expect([opened, reads]).toEqual([1, 0]);
      expect(streamed.declined).toBeUndefined();
      expect(withoutIdHashes(streamed.state)).toStrictEqual(want);
      for (const m of ['chunked', 'gzip'] as const) {
        mode = m;
        const whole = await fetch();
        expect(whole.declined).toBeUndefined();
        expect(withoutIdHashes(whole.state)).toStrictEqual(want);
      }
      expect([opened, reads]).toEqual([1, 2]);
      mode = 'short';
      await expect(fetch()).rejects.toBeInstanceOf(StateFetchError);
      expect(opened).toBe(2);
      mode = 'length';
      body = bytesOf(body.toString().replace('"leader":', '"leader":"x","leader":'));
      const repeated = await fetch();
      expect(repeated.declined).toMatch(/repeated/);
      expect(repeated.state).toStrictEqual(want);
      // A reader that is not there: JSON.parse, and no reason to give.
      const plain = await fetchLeaderState(client, masters([`127.0.0.1:${port}`]), undefined, null);
      expect(plain.declined).toBeUndefined();
      expect(plain.state).toStrictEqual(want);
    } finally {
      await client.close();
      await new Promise((r) => server.close(r));
    }
  });
});
