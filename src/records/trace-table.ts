// -v=2 (trace): after each swap, the generated records and the table's counters, as mesos-dns
// does at its highest verbosity. One line per name (its A, AAAA and SRV records together), at
// most TRACE_MAX_NAMES names per swap: a 100,000-task cluster has ~375,000 names and, streaming,
// swaps several times a second, which no log pipeline should be asked to carry. The counters line
// says how many names were left out, and /v1/axfr lists the whole table.
import type { Logger } from '../log.js';
import { countRecords } from './record-counts.js';
import type { RecordTable } from './table.js';

export const TRACE_MAX_NAMES = 10_000;

export function traceTable(logger: Logger, generation: number, table: RecordTable, maxNames = TRACE_MAX_NAMES): void {
  const log = logger.child({ component: 'records' });
  let logged = 0;
  for (const [name, records] of table.names) {
    if (logged >= maxNames) break;
    logged++;
    log.trace(
      {
        generation,
        name,
        ...(records.a.length ? { A: records.a } : {}),
        ...(records.aaaa.length ? { AAAA: records.aaaa } : {}),
        ...(records.srv.length ? { SRV: records.srv.map((s) => `${s.priority} ${s.weight} ${s.port} ${s.target}`) } : {}),
      },
      'record',
    );
  }
  log.trace(
    { generation, serial: table.soa.serial, names: table.names.size, records: countRecords(table), namesLogged: logged, namesNotLogged: table.names.size - logged },
    'table counters',
  );
}
