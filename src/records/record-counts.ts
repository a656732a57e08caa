// Records in a table by type, for /metrics (mesos_dns_table_records) and the -v=2 summary. Pure.
// Over the packed arrays it is one pass over an Int32Array (1.2 million records at 100,000
// tasks: about a millisecond), without building a records object per name.
import { KIND_A, KIND_AAAA } from './packed-table.js';
import type { RecordTable } from './table.js';

export interface RecordCounts {
  A: number;
  AAAA: number;
  SRV: number;
  /** The apex's SOA and NS: one SOA, one NS per target. */
  SOA: number;
  NS: number;
}

export function countRecords(table: RecordTable): RecordCounts {
  const out: RecordCounts = { A: 0, AAAA: 0, SRV: 0, SOA: 1, NS: table.ns.length };
  if (table.overlay) {
    const { A, AAAA, SRV } = table.overlay.records;
    return { ...out, A, AAAA, SRV };
  }
  const packed = table.packed;
  if (packed) {
    const ports = packed.recPort;
    const end = packed.recStart[packed.recStart.length - 1];
    for (let r = 0; r < end; r++) {
      const p = ports[r];
      if (p === KIND_A) out.A++;
      else if (p === KIND_AAAA) out.AAAA++;
      else out.SRV++;
    }
    return out;
  }
  for (const records of table.names.values()) {
    out.A += records.a.length;
    out.AAAA += records.aaaa.length;
    out.SRV += records.srv.length;
  }
  return out;
}
