// /master/state JSON -> MasterState, keeping what mesos-dns reads. Pure: no I/O, no clock, no logger.
// Only the fields DNS needs are read. A field that is present with the wrong JSON type makes its
// element malformed: that agent, framework (with its tasks) or task is left out and listed in
// `MasterState.skipped`, and the rest of the document applies (mesos-dns, whose Go decoder fails
// the whole document, kept one bad task from freezing every update). Only a document whose own
// shape is wrong (not an object, no usable leader, `slaves` or `frameworks` not arrays) is
// refused, so the caller keeps the last table. `null` counts as absent except for a pid, which
// mesos-dns rejects. The document, its agents and frameworks are read here; each task by
// parse-task.ts; the typed field access is json-fields.ts.
import { StateParseError } from '../errors.js';
import { asObject, optArray, optPid, optString, pidAt, within } from './json-fields.js';
import { taskAt } from './parse-task.js';
/** JSON text -> MasterState; a JSON syntax error becomes a StateParseError. */
export function parseStateText(text) {
    let json;
    try {
        json = JSON.parse(text);
    }
    catch (err) {
        throw new StateParseError(`state: not JSON: ${err.message}`, { cause: err });
    }
    return parseState(json);
}
export function parseState(json) {
    const state = asObject(json, 'state');
    const leaderText = optString(state, 'leader', 'state');
    // mesos-dns: `if sj.Leader == "" { errors.New("empty master") }`.
    if (!leaderText)
        throw new StateParseError('state.leader: missing or empty (the master does not know a leader)');
    const leader = pidAt(leaderText, 'state.leader');
    const skipped = [];
    const slaves = optArray(state, 'slaves', 'state');
    const agents = [];
    for (let i = 0; i < slaves.length; i++) {
        try {
            agents.push(agentAt(slaves[i]));
        }
        catch (err) {
            skipped.push(skippedElement('agent', `state.slaves[${i}]`, slaves[i], err));
        }
    }
    const list = optArray(state, 'frameworks', 'state');
    const frameworks = [];
    for (let i = 0; i < list.length; i++) {
        // A framework left out takes its tasks with it: only the framework is listed then.
        const taskSkips = [];
        try {
            frameworks.push(frameworkAt(list[i], i, taskSkips));
        }
        catch (err) {
            skipped.push(skippedElement('framework', `state.frameworks[${i}]`, list[i], err));
            continue;
        }
        for (const s of taskSkips)
            skipped.push(s);
    }
    const out = { leader, agents, frameworks };
    if (skipped.length > 0)
        out.skipped = skipped;
    return out;
}
/** The skip entry for the element at `path` that failed with `err`; any other error is rethrown (a bug, not bad input). */
export function skippedElement(kind, path, json, err) {
    if (!(err instanceof StateParseError))
        throw err;
    const element = { kind, path, reason: err.message };
    const id = typeof json === 'object' && json !== null ? json.id : undefined;
    if (typeof id === 'string')
        element.id = id;
    return element;
}
/**
 * The skip entry parseState gives the element `json` of this kind at `path`, or undefined when
 * parseState keeps it. For a framework, only the framework's own fields count. The native
 * reader's results are checked with it (read-state.ts).
 */
export function elementFault(kind, path, json) {
    try {
        if (kind === 'agent')
            agentAt(json);
        else if (kind === 'framework')
            frameworkAt(json, 0, []);
        else
            taskAt(json);
        return undefined;
    }
    catch (err) {
        return skippedElement(kind, path, json, err);
    }
}
export function parseAgent(json, path = 'agent') {
    try {
        return agentAt(json);
    }
    catch (err) {
        throw within(err, path);
    }
}
/** Tasks get the framework's id as frameworkId: in /master/state the nesting is what counts. */
export function parseFramework(json, path = 'framework') {
    try {
        return frameworkAt(json, 0, []);
    }
    catch (err) {
        throw within(err, path);
    }
}
// The *At functions (here and taskAt) name the fields they fail on relative to the value they
// were given (`.name: expected a string`, `: expected an object`); the callers put the path in
// front while the error travels up (`within`, json-fields.ts).
function agentAt(json) {
    const o = asObject(json, '');
    const agent = { id: optString(o, 'id', '') ?? '', hostname: optString(o, 'hostname', '') ?? '' };
    const pid = optPid(o, '');
    if (pid)
        agent.pid = pid;
    return agent;
}
/** The framework at `json` (the `index`th of the document); its malformed tasks go to `skipped`. */
function frameworkAt(json, index, skipped) {
    const o = asObject(json, '');
    const id = optString(o, 'id', '') ?? '';
    const name = optString(o, 'name', '') ?? '';
    const hostname = optString(o, 'hostname', '') ?? '';
    const list = optArray(o, 'tasks', '');
    const tasks = [];
    for (let i = 0; i < list.length; i++) {
        let task;
        try {
            task = taskAt(list[i]);
        }
        catch (err) {
            skipped.push(skippedElement('task', `state.frameworks[${index}].tasks[${i}]`, list[i], err));
            continue;
        }
        task.frameworkId = id;
        tasks.push(task);
    }
    const framework = { id, name, hostname, tasks };
    const pid = optPid(o, '');
    if (pid)
        framework.pid = pid;
    return framework;
}
