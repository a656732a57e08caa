// DNS message shapes shared by parse-query.ts (bytes -> Query), lookup.ts (Query + table -> Answer)
// and encode.ts (Answer -> bytes). Numbers are the IANA codes (RFC 1035 §3.2.2, RFC 6895).

export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  /** RFC 1035 §3.3.2; synthesized for ANY over UDP (RFC 8482 §4.2). */
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  AXFR: 252,
  /** RFC 8945 §4.2: transaction signature, last record of the additional section. */
  TSIG: 250,
  IXFR: 251,
  ANY: 255,
  /** RFC 8659: certification authority authorization. */
  CAA: 257,
} as const;

/**
 * The RData tag of a record kept in RFC 3597's generic form (`\\# len hex` in a zone file): its
 * type is `rrtype`, its RDATA the bytes as they are. Not a type number on the wire.
 */
export const GENERIC_RDATA = -1;

export const QCLASS = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** RFC 8945 §5.2: a TSIG the server cannot verify (unknown key: TSIG error BADKEY). */
  NOTAUTH: 9,
  /** Extended rcode 16, carried as 1 in the OPT TTL's high byte (RFC 6891 §6.1.3, §9). */
  BADVERS: 16,
} as const;

/** EDNS option codes (RFC 6891 §6.1.2, IANA "DNS EDNS0 Option Codes"). */
export const EDNS_OPTION = { NSID: 3 } as const;

export const OPCODE = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export interface Question {
  /** As sent, without trailing dot handling surprises: dotted presentation, no trailing dot ("" = root). */
  name: string;
  type: number;
  class: number;
}

export interface Edns {
  /** Requestor's UDP payload size (OPT CLASS), before clamping. */
  udpSize: number;
  version: number;
  /** DNSSEC OK bit (RFC 3225); echoed, since we never sign. */
  dnssecOk: boolean;
  /** The query carried an NSID option (RFC 5001 §2.1, code 3); absent otherwise. */
  nsid?: true;
}

/** A parsed query: what the header and question say, plus the client's EDNS if any. */
export interface Query {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  question: Question;
  /** Undefined when the query carried no OPT record. */
  edns?: Edns;
  /** The query's TSIG record (RFC 8945), when it is signed. */
  tsig?: TsigRecord;
}

/** The fields of a request's TSIG RR (RFC 8945 §4.2) that a reply or a verifier needs. */
export interface TsigRecord {
  /** The key name (the RR's owner), presentation form. */
  keyName: string;
  /** Algorithm name, presentation form (e.g. "hmac-sha256"). */
  algorithm: string;
  /** Seconds since the epoch, 48 bits. */
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

export type RData =
  | { type: typeof QTYPE.A; address: string }
  | { type: typeof QTYPE.AAAA; address: string }
  | { type: typeof QTYPE.SRV; priority: number; weight: number; port: number; target: string }
  | { type: typeof QTYPE.NS; target: string }
  | { type: typeof QTYPE.PTR; target: string }
  | { type: typeof QTYPE.CNAME; target: string }
  | { type: typeof QTYPE.MX; preference: number; exchange: string }
  /** RFC 8659 §4.1: flags, a tag of letters and digits, the value's octets. */
  | { type: typeof QTYPE.CAA; flags: number; tag: string; value: Uint8Array }
  /**
   * Character-strings of at most 255 octets each (RFC 1035 §3.3.14); a string is sent as its
   * UTF-8, octets (a zone file's `\DDD` escapes) as they are.
   */
  | { type: typeof QTYPE.TXT; texts: readonly (string | Uint8Array)[] }
  | { type: typeof GENERIC_RDATA; rrtype: number; bytes: Uint8Array }
  | { type: typeof QTYPE.HINFO; cpu: string; os: string }
  | {
      type: typeof QTYPE.SOA;
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    };

/** The type number a record goes on the wire with. */
export function rrTypeOf(data: RData): number {
  return data.type === GENERIC_RDATA ? data.rrtype : data.type;
}

export interface ResourceRecord {
  /** Owner name, dotted presentation; a trailing dot is allowed and ignored by the encoder. */
  name: string;
  ttl: number;
  /** IN unless given (CHAOS answers are class CH). */
  class?: number;
  data: RData;
}

/** What lookup produces: CoreDNS's (answer, ns, extra, Result) turned into one value. */
export type ResultKind = 'success' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'notimp' | 'formerr' | 'badvers';

export interface Answer {
  kind: ResultKind;
  /** Authoritative answer bit. */
  aa: boolean;
  /** Recursion available bit (mesos-dns: `recurseon`). */
  ra: boolean;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}
