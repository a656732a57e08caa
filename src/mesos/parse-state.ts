// /master/state JSON -> MasterState, keeping what mesos-dns reads. Pure: no I/O, no clock, no logger.
// Only the fields DNS needs are read. A field that is present with the wrong JSON type fails the
// whole document, as Go's encoding/json does in mesos-dns, so the caller keeps the last table;
// `null` counts as absent except for a pid, which mesos-dns rejects. The document, its agents and
// frameworks are read here; each task by parse-task.ts; the typed field access is json-fields.ts.
import { StateParseError } from '../errors.js';
import { asObject, optArray, optPid, optString, pidAt, within } from './json-fields.js';
import { taskAt } from './parse-task.js';
import type { Agent, Framework, MasterState, Task } from './state.js';

/** JSON text -> MasterState; a JSON syntax error becomes a StateParseError. */
export function parseStateText(text: string): MasterState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StateParseError(`state: not JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseState(json);
}

export function parseState(json: unknown): MasterState {
  const state = asObject(json, 'state');
  const leaderText = optString(state, 'leader', 'state');
  // mesos-dns: `if sj.Leader == "" { errors.New("empty master") }`.
  if (!leaderText) throw new StateParseError('state.leader: missing or empty (the master does not know a leader)');
  const leader = pidAt(leaderText, 'state.leader');
  const slaves = optArray(state, 'slaves', 'state');
  const agents: Agent[] = new Array(slaves.length);
  for (let i = 0; i < slaves.length; i++) {
    try {
      agents[i] = agentAt(slaves[i]);
    } catch (err) {
      throw within(err, `state.slaves[${i}]`);
    }
  }
  const list = optArray(state, 'frameworks', 'state');
  const frameworks: Framework[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      frameworks[i] = frameworkAt(list[i]);
    } catch (err) {
      throw within(err, `state.frameworks[${i}]`);
    }
  }
  return { leader, agents, frameworks };
}

export function parseAgent(json: unknown, path = 'agent'): Agent {
  try {
    return agentAt(json);
  } catch (err) {
    throw within(err, path);
  }
}

/** Tasks get the framework's id as frameworkId: in /master/state the nesting is what counts. */
export function parseFramework(json: unknown, path = 'framework'): Framework {
  try {
    return frameworkAt(json);
  } catch (err) {
    throw within(err, path);
  }
}

// The *At functions (here and taskAt) name the fields they fail on relative to the value they
// were given (`.name: expected a string`, `: expected an object`); the callers put the path in
// front while the error travels up (`within`, json-fields.ts).

function agentAt(json: unknown): Agent {
  const o = asObject(json, '');
  const agent: Agent = { id: optString(o, 'id', '') ?? '', hostname: optString(o, 'hostname', '') ?? '' };
  const pid = optPid(o, '');
  if (pid) agent.pid = pid;
  return agent;
}

function frameworkAt(json: unknown): Framework {
  const o = asObject(json, '');
  const id = optString(o, 'id', '') ?? '';
  const name = optString(o, 'name', '') ?? '';
  const hostname = optString(o, 'hostname', '') ?? '';
  const list = optArray(o, 'tasks', '');
  const tasks: Task[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    let task: Task;
    try {
      task = taskAt(list[i]);
    } catch (err) {
      throw within(err, `.tasks[${i}]`);
    }
    task.frameworkId = id;
    tasks[i] = task;
  }
  const framework: Framework = { id, name, hostname, tasks };
  const pid = optPid(o, '');
  if (pid) framework.pid = pid;
  return framework;
}
