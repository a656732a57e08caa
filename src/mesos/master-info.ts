// What the Mesos masters leave in ZooKeeper, turned into a leader and a masters list. Pure: the
// detector (zk-detector.ts) does the reading and hands the children and their data in here.
//
// Each contending master owns an ephemeral sequential child of the ZK path. Since Mesos 0.24 the
// child is `json.info_<seq>` holding MasterInfo as JSON; before that it was `info_<seq>` holding
// MasterInfo as protobuf, and the oldest masters stored a bare pid string (`master@ip:port`).
// The lowest sequence number is the leader (apache/mesos src/master/detector/zookeeper.cpp,
// MASTER_INFO_JSON_LABEL in src/master/constants.hpp). Sequence numbers come from one counter per
// parent, so `json.info_` and `info_` sequences are comparable.
import { joinHostPort, type HostPort } from '../net/address.js';

export type MasterInfoLabel = 'json' | 'protobuf';

export interface MasterNode {
  name: string;
  label: MasterInfoLabel;
  seq: number;
}

export interface MasterInfo {
  /** MasterInfo.id; "" when the format carries none (a bare pid). */
  id: string;
  /** An IP or hostname; "" when MasterInfo names no host (mesos-dns then prints ":port"). */
  host: string;
  port: number;
}

export interface MastersResult {
  /** The leader, undefined when there is none (or its data is unreadable). */
  leader: HostPort | undefined;
  /** Every usable master address, the leader first, then the others in sequence order. */
  masters: HostPort[];
}

/** MasterInfo.port's proto2 default (mesos.proto). */
const DEFAULT_MASTER_PORT = 5050;

const NODE_NAME = /^(json\.info|info)_(\d+)$/;

/** The master node a child name stands for, or undefined for other children (log_replicas, ...). */
export function parseMasterNodeName(name: string): MasterNode | undefined {
  const match = NODE_NAME.exec(name);
  if (!match) return undefined;
  const seq = Number(match[2]);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { name, label: match[1] === 'json.info' ? 'json' : 'protobuf', seq };
}

/** The master nodes among `children`, in sequence order (name order breaks ties, for determinism). */
export function masterNodes(children: readonly string[]): MasterNode[] {
  const nodes: MasterNode[] = [];
  for (const child of children) {
    const node = parseMasterNodeName(child);
    if (node) nodes.push(node);
  }
  return nodes.sort((a, b) => a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The leader's child name: the lowest `json.info_<seq>`, else the lowest `info_<seq>`. */
export function leaderFromChildren(children: readonly string[]): string | undefined {
  const nodes = masterNodes(children);
  return (nodes.find((n) => n.label === 'json') ?? nodes.find((n) => n.label === 'protobuf'))?.name;
}

/** The master's endpoint. */
export function masterAddress(info: MasterInfo): HostPort {
  return { host: info.host, port: info.port };
}

/** Decodes one master node's data. Never throws: garbage gives undefined. */
export function decodeMasterInfo(data: Buffer, label: MasterInfoLabel): MasterInfo | undefined {
  try {
    if (label === 'json') return decodeJson(data);
    return decodePid(data) ?? decodeProtobuf(data);
  } catch {
    return undefined;
  }
}

/**
 * The leader and the masters list from the master nodes' data (`data` undefined = could not be
 * read, e.g. deleted meanwhile). Unlike mesos-dns, whose non-leaders follow Go's random map order,
 * the others come in sequence order so `master<N>` numbering is stable. Masters are de-duplicated by
 * MasterInfo.id (a master that wrote both labels) and then by address. An address with no host or
 * port 0 cannot be contacted and is left out.
 */
export function mastersFromChildren(children: ReadonlyArray<{ name: string; data: Buffer | undefined }>): MastersResult {
  const dataByName = new Map<string, Buffer>();
  for (const child of children) if (child.data !== undefined) dataByName.set(child.name, child.data);

  const leaderName = leaderFromChildren([...dataByName.keys()]);
  const decoded: Array<{ name: string; info: MasterInfo }> = [];
  for (const node of masterNodes([...dataByName.keys()])) {
    const info = decodeMasterInfo(dataByName.get(node.name) as Buffer, node.label);
    if (info) decoded.push({ name: node.name, info });
  }

  const leaderEntry = decoded.find((d) => d.name === leaderName);
  const leaderInfo = leaderEntry && usable(leaderEntry.info) ? leaderEntry.info : undefined;
  const ordered = leaderEntry ? [leaderEntry, ...decoded.filter((d) => d !== leaderEntry)] : decoded;

  const seenIds = new Set<string>();
  const seenAddresses = new Set<string>();
  const masters: HostPort[] = [];
  for (const { info } of ordered) {
    if (info.id !== '') {
      if (seenIds.has(info.id)) continue;
      seenIds.add(info.id);
    }
    if (!usable(info)) continue;
    const address = masterAddress(info);
    // "host:port" as Go's net.JoinHostPort writes it: the identity mesos-dns de-duplicates on.
    const text = joinHostPort(address);
    if (seenAddresses.has(text)) continue;
    seenAddresses.add(text);
    masters.push(address);
  }
  return { leader: leaderInfo ? masterAddress(leaderInfo) : undefined, masters };
}

function usable(info: MasterInfo): boolean {
  return info.host !== '' && info.port > 0 && info.port <= 65535;
}

// ---- JSON MasterInfo (Mesos >= 0.24), as written by JSON::protobuf(MasterInfo) ----

function decodeJson(data: Buffer): MasterInfo | undefined {
  const doc: unknown = JSON.parse(data.toString('utf8'));
  if (!isRecord(doc)) return undefined;
  const id = optional(doc.id, 'string');
  const ip = optional(doc.ip, 'number');
  const port = optional(doc.port, 'number');
  const hostname = optional(doc.hostname, 'string');
  if (id === null || ip === null || port === null || hostname === null) return undefined;
  let address: AddressFields | undefined;
  if (doc.address !== undefined) {
    if (!isRecord(doc.address)) return undefined;
    const addressHostname = optional(doc.address.hostname, 'string');
    const addressIp = optional(doc.address.ip, 'string');
    const addressPort = optional(doc.address.port, 'number');
    if (addressHostname === null || addressIp === null || addressPort === null) return undefined;
    address = { hostname: addressHostname, ip: addressIp, port: addressPort };
  }
  // Nothing that locates a master: not MasterInfo.
  if (address === undefined && ip === undefined && port === undefined) return undefined;
  return fromFields({ id, ip, port, hostname, address });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value if it has the type, undefined if absent, null if present with the wrong type. */
function optional(value: unknown, type: 'string'): string | undefined | null;
function optional(value: unknown, type: 'number'): number | undefined | null;
function optional(value: unknown, type: 'string' | 'number'): string | number | undefined | null {
  if (value === undefined) return undefined;
  if (type === 'number') return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
  return typeof value === type ? (value as string) : null;
}

interface AddressFields {
  hostname?: string;
  ip?: string;
  port?: number;
}

interface MasterInfoFields {
  id?: string;
  ip?: number;
  port?: number;
  hostname?: string;
  address?: AddressFields;
}

/**
 * mesos-dns's address rule (detect/masters.go masterAddr): `address` wins when present (Mesos >=
 * 0.24), else the packed `ip` and `port`. We also fall back to a hostname when `address.ip` is
 * empty, where mesos-dns would print ":port".
 */
function fromFields(f: MasterInfoFields): MasterInfo {
  const id = f.id ?? '';
  if (f.address !== undefined) {
    const host = f.address.ip || f.address.hostname || f.hostname || '';
    return { id, host, port: f.address.port ?? 0 };
  }
  return { id, host: packedIPv4(f.ip ?? 0), port: f.port ?? DEFAULT_MASTER_PORT };
}

/**
 * MasterInfo.ip is the in_addr's 32 bits read as a native integer, so its byte order is the
 * master's. Masters ran on little-endian x86, where 127.0.0.1 is 16777343; mesos-dns assumes its
 * own byte order, and so do we (little-endian).
 */
function packedIPv4(ip: number): string {
  return [ip & 0xff, (ip >>> 8) & 0xff, (ip >>> 16) & 0xff, (ip >>> 24) & 0xff].join('.');
}

// ---- Oldest format: the node holds the master's libprocess pid, "master@ip:port" ----

const PID = /^[A-Za-z0-9_.()-]+@([A-Za-z0-9.-]+):(\d{1,5})$/;

function decodePid(data: Buffer): MasterInfo | undefined {
  const match = PID.exec(data.toString('latin1').trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { id: '', host: match[1], port };
}

// ---- Protobuf MasterInfo (Mesos < 0.24, `info_` nodes) ----
// Only the fields we need, from mesos.proto: MasterInfo { required string id = 1; required uint32
// ip = 2; required uint32 port = 3 [default = 5050]; optional string pid = 4; optional string
// hostname = 5; optional Address address = 7 } and Address { optional string hostname = 1;
// optional string ip = 2; required int32 port = 3 }. Every other field is skipped by wire type.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

class ProtoReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Low 32 bits of a varint (enough for uint32/int32 fields); consumes up to 10 bytes. */
  varint32(): number {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated varint');
      const byte = this.buf[this.pos++];
      if (i < 5) value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new RangeError('varint too long');
  }

  bytes(): Buffer {
    const length = this.varint32();
    if (length > this.buf.length - this.pos) throw new RangeError('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint32();
    else if (wireType === WIRE_LENGTH) this.bytes();
    else if (wireType === WIRE_FIXED64) this.advance(8);
    else if (wireType === WIRE_FIXED32) this.advance(4);
    else throw new RangeError(`unsupported wire type ${wireType}`);
  }

  private advance(n: number): void {
    if (n > this.buf.length - this.pos) throw new RangeError('truncated field');
    this.pos += n;
  }
}

/** Reads (field number, wire type) pairs; `onField` consumes the value or returns false to skip it. */
function readMessage(buf: Buffer, onField: (field: number, wireType: number, reader: ProtoReader) => boolean): void {
  const reader = new ProtoReader(buf);
  while (!reader.done) {
    const key = reader.varint32();
    const field = key >>> 3;
    const wireType = key & 7;
    if (field === 0) throw new RangeError('field number 0');
    if (!onField(field, wireType, reader)) reader.skip(wireType);
  }
}

function decodeProtobuf(data: Buffer): MasterInfo | undefined {
  const f: MasterInfoFields = {};
  readMessage(data, (field, wireType, r) => {
    if (field === 1 && wireType === WIRE_LENGTH) f.id = r.bytes().toString('utf8');
    else if (field === 2 && wireType === WIRE_VARINT) f.ip = r.varint32();
    else if (field === 3 && wireType === WIRE_VARINT) f.port = r.varint32();
    else if (field === 5 && wireType === WIRE_LENGTH) f.hostname = r.bytes().toString('utf8');
    else if (field === 7 && wireType === WIRE_LENGTH) f.address = decodeAddress(r.bytes());
    else return false;
    return true;
  });
  // id is a required field: without it these bytes are not a MasterInfo.
  if (f.id === undefined) return undefined;
  return fromFields(f);
}

function decodeAddress(buf: Buffer): AddressFields {
  const a: AddressFields = {};
  readMessage(buf, (field, wireType, r) => {
    if (field === 1 && wireType === WIRE_LENGTH) a.hostname = r.bytes().toString('utf8');
    else if (field === 2 && wireType === WIRE_LENGTH) a.ip = r.bytes().toString('utf8');
    // int32: a negative port arrives as a 10-byte varint; `| 0` restores the sign, and usable() drops it.
    else if (field === 3 && wireType === WIRE_VARINT) a.port = r.varint32() | 0;
    else return false;
    return true;
  });
  return a;
}
