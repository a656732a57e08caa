// Masters lists as the config and the leader detector hand them over: parsed endpoints.
import { parsePidAddress } from '../../src/net/address.js';
/** "host:port" texts as endpoints; a text that is no endpoint is left out (as build-table always did). */
export function masters(list) {
    return list.flatMap((text) => parsePidAddress(text) ?? []);
}
/** One "host:port" as an endpoint. */
export function hp(text) {
    const parsed = parsePidAddress(text);
    if (parsed === undefined)
        throw new Error(`not host:port: ${text}`);
    return parsed;
}
