// libprocess PIDs (`name@host:port`): the syntax only. The `host:port` part follows the one
// address model (net/address.ts); resolving a hostname is I/O and happens elsewhere
// (records/resolve-hosts.ts).
import { StateParseError } from '../errors.js';
import { parsePidAddress } from '../net/address.js';
/**
 * Parses a libprocess PID strictly: exactly one `@`, then `host:port` (IPv6 in brackets).
 * The name part may be empty, as mesos-go's upid.Parse allows.
 */
export function parsePid(s) {
    const at = s.indexOf('@');
    if (at < 0 || s.indexOf('@', at + 1) >= 0) {
        throw new StateParseError(`malformed pid ${JSON.stringify(s)}: expected exactly one "@" (name@host:port)`);
    }
    const hostPort = parsePidAddress(s.slice(at + 1));
    if (hostPort === undefined) {
        throw new StateParseError(`malformed pid ${JSON.stringify(s)}: expected name@host:port`);
    }
    return { name: s.slice(0, at), host: hostPort.host, port: hostPort.port };
}
