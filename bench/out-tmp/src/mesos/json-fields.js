// Typed field access for the /master/state JSON (parse-state.ts, parse-task.ts). A field present
// with the wrong JSON type is a StateParseError naming it; `null` counts as absent except for a
// pid, which mesos-dns rejects. `path` is often relative to the value at hand: callers put the
// rest in front while the error travels up (`within`), because building every value's full path
// up front, in case it is needed, was a large part of parsing a 100,000-task state.
import { StateParseError } from '../errors.js';
import { parsePid } from './pid.js';
/** The same parse error with `prefix` put in front of its path; any other error as it is. */
export function within(err, prefix) {
    if (!(err instanceof StateParseError))
        return err;
    return new StateParseError(prefix + err.message, err.cause === undefined ? undefined : { cause: err.cause });
}
export function asObject(v, path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new StateParseError(`${path}: expected an object`);
    }
    return v;
}
export function optString(o, key, path) {
    const v = o[key];
    if (v === undefined || v === null)
        return undefined;
    if (typeof v !== 'string')
        throw new StateParseError(`${path}.${key}: expected a string`);
    return v;
}
export function optNumber(o, key, path) {
    const v = o[key];
    if (v === undefined || v === null)
        return undefined;
    if (typeof v !== 'number')
        throw new StateParseError(`${path}.${key}: expected a number`);
    return v;
}
export function optBoolean(o, key, path) {
    const v = o[key];
    if (v === undefined || v === null)
        return undefined;
    if (typeof v !== 'boolean')
        throw new StateParseError(`${path}.${key}: expected a boolean`);
    return v;
}
export function optObject(o, key, path) {
    const v = o[key];
    if (v === undefined || v === null)
        return undefined;
    if (typeof v !== 'object' || Array.isArray(v))
        throw new StateParseError(`${path}.${key}: expected an object`);
    return v;
}
export function optArray(o, key, path) {
    const v = o[key];
    if (v === undefined || v === null)
        return [];
    if (!Array.isArray(v))
        throw new StateParseError(`${path}.${key}: expected an array`);
    return v;
}
/** A missing pid is fine; a null or malformed one fails the state, as in mesos-dns. */
export function optPid(o, path) {
    if (!('pid' in o) || o.pid === undefined)
        return undefined;
    const v = o.pid;
    if (typeof v !== 'string')
        throw new StateParseError(`${path}.pid: expected a pid string, got ${v === null ? 'null' : typeof v}`);
    return pidAt(v, `${path}.pid`);
}
export function pidAt(text, path) {
    try {
        return parsePid(text);
    }
    catch (err) {
        throw new StateParseError(`${path}: ${err.message}`, { cause: err });
    }
}
