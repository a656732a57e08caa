// RFC 1035 §5 master files -> records. Pure: the text of the file and of every file it
// $INCLUDEs come in (zone-files.ts reads them), records or a ZoneFileError (file, line, reason)
// come out.
//
// Directives: $ORIGIN <name> (relative to the current origin; each one holds until the next,
// the dns-zonefile bug this is tested against keeps only the last), $TTL <ttl> (RFC 2308 §4:
// the TTL of records that give none), $INCLUDE <file> [<origin>] (§5.1: the file is read with
// that origin, or the current one; nothing it sets, origin or owner, comes back to the
// including file; the $TTL default is shared). $GENERATE and other BIND directives are errors.
//
// A record is `[owner] [ttl] [class] type rdata`, TTL and class in either order (§5.1). The
// owner is `@` (the origin), a relative or absolute name, or left blank (a line starting with a
// space: the previous record's owner). A record without a TTL takes $TTL; without $TTL the last
// TTL given; without either, the SOA's MINIMUM (what BIND does, with the same warning as docs).
// Only class IN is served.
import path from 'node:path';
import { ZoneFileError } from '../errors.js';
import { QTYPE, type RData } from '../dns/wire/message.js';
import { lexZone, type Entry, type Token } from './zone-lexer.js';
import { qualify } from './zone-names.js';
import { parseRdata, parseTtl, ZONE_TYPES } from './rdata.js';

export interface ZoneRecord {
  /** Canonical absolute owner ("www.example.com."). */
  owner: string;
  ttl: number;
  data: RData;
  /** Where it was written, for error messages. */
  file: string;
  line: number;
}

export interface ZoneText {
  /** The file's path: in messages, and the directory $INCLUDE paths are relative to. */
  file: string;
  text: string;
  /** Canonical origin the file starts with ("example.com."). */
  origin: string;
  /** The text of every file $INCLUDEd (at any depth), by absolute path; see includedFiles(). */
  includes: ReadonlyMap<string, string>;
}

/** Nesting deeper than this is taken for a loop of $INCLUDEs. */
export const MAX_INCLUDE_DEPTH = 8;

const CLASSES = new Set(['IN', 'CH', 'CS', 'HS']);

interface State {
  /** $TTL, once given. */
  defaultTtl?: number;
  /** The last TTL written on a record. */
  lastTtl?: number;
  records: ZoneRecord[];
  /** Records that had no TTL to take: given the SOA MINIMUM at the end. */
  untimed: ZoneRecord[];
}

/** Parses a zone file and its includes. Throws ZoneFileError at the first problem. */
export function parseZone(input: ZoneText): ZoneRecord[] {
  const state: State = { records: [], untimed: [] };
  parseFile(input.file, input.text, input.origin, input.includes, state, [path.resolve(input.file)]);
  if (state.untimed.length > 0) {
    const soa = state.records.find((r) => r.data.type === QTYPE.SOA);
    if (soa === undefined || soa.data.type !== QTYPE.SOA) {
      const first = state.untimed[0];
      throw new ZoneFileError(first.file, first.line, 'the record has no TTL: give one, or a $TTL line above it');
    }
    for (const r of state.untimed) r.ttl = Math.min(soa.data.minimum, 0x7fffffff);
  }
  return state.records;
}

/** Absolute paths $INCLUDE names in `text` (read from `file`), in order; for zone-files.ts. */
export function includedFiles(file: string, text: string): string[] {
  const out: string[] = [];
  for (const entry of lexZone(text, file)) {
    const first = entry.tokens[0];
    if (!entry.blankOwner && first.text.toUpperCase() === '$INCLUDE' && entry.tokens.length >= 2) {
      out.push(path.resolve(path.dirname(file), entry.tokens[1].text));
    }
  }
  return out;
}

function parseFile(file: string, text: string, startOrigin: string, includes: ReadonlyMap<string, string>, state: State, chain: string[]): void {
  let origin = startOrigin;
  let owner: string | undefined;
  for (const entry of lexZone(text, file)) {
    const fail = (reason: string): never => {
      throw new ZoneFileError(file, entry.line, reason);
    };
    const first = entry.tokens[0];
    if (!entry.blankOwner && !first.quoted && first.text.startsWith('$')) {
      const directive = first.text.toUpperCase();
      const args = entry.tokens.slice(1);
      if (directive === '$ORIGIN') {
        if (args.length !== 1) fail('$ORIGIN takes one domain name');
        origin = name(args[0].text, origin, fail);
      } else if (directive === '$TTL') {
        if (args.length !== 1) fail('$TTL takes one TTL');
        const ttl = parseTtl(args[0].text);
        if (ttl === undefined) fail(`$TTL "${args[0].text}" is not a TTL (seconds, or units such as 1h30m; at most 2147483647)`);
        state.defaultTtl = ttl;
      } else if (directive === '$INCLUDE') {
        if (args.length < 1 || args.length > 2) fail('$INCLUDE takes a file name and an optional origin');
        const target = path.resolve(path.dirname(file), args[0].text);
        if (chain.includes(target) || chain.length > MAX_INCLUDE_DEPTH) fail(`$INCLUDE of "${args[0].text}" makes a loop`);
        const included = includes.get(target);
        if (included === undefined) fail(`$INCLUDE: cannot read "${args[0].text}"`);
        const includeOrigin = args.length === 2 ? name(args[1].text, origin, fail) : origin;
        parseFile(target, included as string, includeOrigin, includes, state, [...chain, target]);
      } else {
        fail(`unsupported directive ${first.text} (only $ORIGIN, $TTL and $INCLUDE)`);
      }
      continue;
    }
    let i = 0;
    if (!entry.blankOwner) {
      owner = name(first.text, origin, fail);
      i = 1;
    } else if (owner === undefined) {
      fail('the record has no owner: the first record of a file must name one');
    }
    const record = parseRecord(entry, i, origin, fail);
    const rr: ZoneRecord = { owner: owner as string, ttl: 0, data: record.data, file, line: entry.line };
    if (record.ttl !== undefined) {
      rr.ttl = state.lastTtl = record.ttl;
    } else if (state.defaultTtl !== undefined) {
      rr.ttl = state.defaultTtl;
    } else if (state.lastTtl !== undefined) {
      rr.ttl = state.lastTtl;
    } else {
      state.untimed.push(rr);
    }
    state.records.push(rr);
  }
}

function name(text: string, origin: string, fail: (reason: string) => never): string {
  const q = qualify(text, origin);
  return 'reason' in q ? fail(q.reason) : q.name;
}

/** TTL, class and type after the owner, then the RDATA. */
function parseRecord(entry: Entry, from: number, origin: string, fail: (reason: string) => never): { ttl?: number; data: RData } {
  const tokens: readonly Token[] = entry.tokens;
  let i = from;
  let ttl: number | undefined;
  let klass: string | undefined;
  for (let n = 0; n < 2 && i < tokens.length; n++) {
    const t = tokens[i].text.toUpperCase();
    if (ttl === undefined && /^\d/.test(t)) {
      ttl = parseTtl(t);
      if (ttl === undefined) fail(`"${tokens[i].text}" is not a TTL (seconds, or units such as 1h30m; at most 2147483647)`);
      i++;
    } else if (klass === undefined && (CLASSES.has(t) || /^CLASS\d+$/.test(t))) {
      klass = t;
      i++;
    } else break;
  }
  if (klass !== undefined && klass !== 'IN') fail(`class ${klass}: only class IN is served`);
  if (i >= tokens.length) fail('the record has no type');
  const mnemonic = tokens[i].text.toUpperCase();
  // TYPEnnn (RFC 3597 §5): a known type by number, or any other with its data as \# <len> <hex>.
  const numbered = /^TYPE(\d{1,5})$/.exec(mnemonic);
  const type = ZONE_TYPES.get(mnemonic) ?? (numbered && Number(numbered[1]) <= 0xffff ? Number(numbered[1]) : undefined);
  if (type === undefined) {
    fail(`type "${tokens[i].text}" is not served from zone files (A, AAAA, CNAME, SRV, TXT, MX, NS, SOA, PTR, CAA, or TYPEnnn with RFC 3597 data)`);
  }
  const rdata = parseRdata(type as number, tokens.slice(i + 1), origin);
  if ('reason' in rdata) fail(rdata.reason);
  return { ttl, data: (rdata as { data: RData }).data };
}
