// The native state reader (native/state-reader.c through src/mesos/read-state.ts) against the
// JavaScript one (JSON.parse + parseState): for every document, either both give the same
// MasterState (compared strictly: -0, undefined members and array kinds count) or both throw the
// same error. The native reader must also really read the ordinary documents (not decline them),
// or the comparison would only be testing the fallback.
import { describe, expect, it } from '@jest/globals';
import { generateStateText } from '../bench/gen-state.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { readStateBytes, stateReaderAddon } from '../src/mesos/read-state.js';
import { damagedJson } from './helpers/damage-json.js';
import { jsonSpellings } from './helpers/json-spellings.js';
import { expectCafeDiscoveryPorts, expectPods, expectVipAndBridge } from './helpers/reader-tasks.js';
import { seededRandom } from './helpers/seeded-random.js';
import { bytesOf, decoder, expectSameAsJavaScript, fixture, nativeAddon, outcome, richState } from './helpers/read-state.js';

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
    // The same, pretty-printed with other whitespace, and with escapes where raw text was.
    for (const text of jsonSpellings(doc)) expect(expectSameAsJavaScript(bytesOf(text))).toBeUndefined();
    // Sanity: the rich state has what it claims to have.
    const { state } = readStateBytes(bytesOf(doc), nativeAddon());
    const [nginx, cafe] = state.frameworks[0].tasks;
    expect(nginx.ports).toEqual([31000, 31001, 31002, 31005]);
    expect(nginx.running).toEqual({ timestamp: 1458823233.62374, networkIPs: [], mesosLabelIPs: [], dockerLabelIPs: ['172.17.0.2'], healthy: true });
    expect(cafe.name).toBe('caf\u00e9 \ud83d\ude00');
    expect(cafe.ports).toEqual([31000]);
    expect(cafe.running?.networkIPs).toEqual(['10.9.0.1', 'fd00::1', '10.9.0.2', '10.9.0.3']);
    expect(cafe.running?.mesosLabelIPs).toEqual(['10.0.0.7', '']);
    expectCafeDiscoveryPorts(cafe.discovery?.ports);
    expect(state.frameworks[0].tasks[3].discovery).toBeUndefined();
    const [vip, bridge, pod, podPlain, own, dockerHost] = state.frameworks[0].tasks.slice(6);
    expectVipAndBridge(vip, bridge);
    expectPods(pod, podPlain, own, dockerHost);
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
    const values: unknown[] = [null, 0, 1.5, -1, 65536, '', 'x', 'TASK_RUNNING', '[1-2]', true, false, [], {}, [{}], { name: 'n' }, ['a']];
    let nativeRead = 0;
    let failed = 0;
    let partial = 0;
    let partialNativeRead = 0;
    const cases = 4000;
    for (let n = 0; n < cases; n++) {
      const text = damagedJson(richState(), rand, values);
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
});
