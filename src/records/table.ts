// The immutable record table: what build-table.ts produces from one master state, and what
// every DNS query and HTTP request reads (one snapshot per request, see store.ts).
// Records are typed values, never "host:port" strings to re-parse per query.
import type { PackedTable } from './packed-table.js';
import type { ReverseTable } from './reverse-table.js';
import type { TableOverlay } from './incremental/overlay-table.js';

export interface SrvRecord {
  /** Absolute, lower-case target name with trailing dot. */
  target: string;
  port: number;
  priority: number;
  weight: number;
}

/** All records owned by one name. Arrays are de-duplicated, in insertion order. */
export interface NameRecords {
  a: readonly string[];
  aaaa: readonly string[];
  srv: readonly SrvRecord[];
}

export interface SoaData {
  /** Zone apex, absolute, lower-case: "mesos." */
  zone: string;
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  /** RFC 2308 §4: the negative-caching TTL; mesos-dns puts `ttl` here, and so do we. */
  minimum: number;
}

/** One row of /v1/enumerate (docs/http-api.md). */
export interface EnumerateRecord {
  name: string;
  host: string;
  rtype: 'A' | 'AAAA' | 'SRV';
}

export interface EnumerateTask {
  name: string;
  id: string;
  /** null when the task added nothing new (mesos-dns prints null there). */
  records: EnumerateRecord[] | null;
}

export interface EnumerateFramework {
  name: string;
  tasks: EnumerateTask[];
}

export interface RecordTable {
  /** Zone apex, absolute, lower-case ("mesos."). */
  readonly zone: string;
  readonly ttl: number;
  readonly soa: SoaData;
  /** NS targets for the apex (the SOA MNAME). */
  readonly ns: readonly string[];
  /**
   * Every owner name (absolute, lower-case) -> its records. Includes names that hold only
   * legacy unsanitised forms; names with upper-case letters are kept as generated (they can
   * never match a lower-cased query, exactly as in mesos-dns, but /v1/axfr lists them).
   */
  readonly names: ReadonlyMap<string, NameRecords>;
  /**
   * Every name that exists in the zone: owners plus all their ancestors up to and including
   * the apex (empty non-terminals, RFC 8020). A lookup miss here is NXDOMAIN; a hit without
   * the type is NODATA.
   */
  readonly existing: ReadonlySet<string>;
  /** /v1/enumerate data; null when the state had no frameworks. */
  readonly enumeration: readonly EnumerateFramework[] | null;
  /**
   * A built table keeps what /v1/enumerate is made from until it is first asked for (its task
   * names and ids, one string each per task). Once a patch over the table is served instead, the
   * table is only the patch's base and its own /v1/enumerate can no longer be asked for (the API
   * reads the current table synchronously): this lets that go (publish.ts). After it,
   * `enumeration` is null unless it had been read before.
   */
  releaseEnumeration?(): void;
  /**
   * The packed arrays `names` and `existing` read from, when the table is packed (always for
   * tables built from a state, see packed-table.ts): what goes to the DNS workers as it is.
   */
  readonly packed?: PackedTable;
  /**
   * Set when the table is a packed base plus the names events changed since (incremental/):
   * then `packed` is absent, and the base's is `overlay.base.packed`.
   */
  readonly overlay?: TableOverlay;
  /** PTR records and the reverse zones they make us authoritative for; absent with `PtrOn: false`. */
  readonly reverse?: ReverseTable;
  /** What HealthPolicy did in this build (records/health-policy.ts); absent with "ignore". */
  readonly health?: TableHealth;
  /**
   * A secondary's zones (apexes) past SOA EXPIRE without contact with a primary: their names are
   * answered SERVFAIL (RFC 1035 §3.3.13), the records kept for when a primary is back.
   */
  readonly expired?: readonly string[];
}

/** One build's health-policy outcome, for /metrics. */
export interface TableHealth {
  readonly policy: string;
  /** RUNNING tasks with records that the policy does not pass. */
  readonly failingTasks: number;
  /** Shared names answered with all their instances because none passed the policy. */
  readonly fallbackNames: number;
}
