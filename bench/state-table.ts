// The table the benchmarks compare against: built from a state the same way our server builds it
// when started with server-process.ts's config (same masters list, same listener as the SOA MNAME
// address, defaults for every naming setting). Knot's zone and the query file come from it.
import { DEFAULTS } from '../src/config/typed.js';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTable } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { parseMasterAddress, type HostPort } from '../src/net/address.js';

/** The masters list written into our server's benchmark config. */
export const BENCH_MASTERS: readonly string[] = ['127.0.0.1:5050'];
/** The same masters as the config load gives them to the table build. */
export const BENCH_MASTER_ENDPOINTS: readonly HostPort[] = BENCH_MASTERS.map((m) => parseMasterAddress(m).value!);
/** Every benchmark server listens here only. */
export const BENCH_LISTENER = '127.0.0.1';

/** A state JSON value -> the table our server would serve for it (serial aside). */
export function benchTable(json: unknown, serial = 1): RecordTable {
  return buildTable(parseState(json), {
    config: DEFAULTS,
    masters: BENCH_MASTER_ENDPOINTS,
    // The generator uses IP literals everywhere, so there is nothing to resolve.
    addresses: new Map(),
    selfAddresses: [BENCH_LISTENER],
    serial,
  });
}
