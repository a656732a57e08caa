// Fetching /master/state from the leading master (mesos-dns records/state/client/cli.go, with its
// quirks fixed): the HTTP status is checked, gzip is understood, a 307 from a non-leader is
// followed, and the failover re-fetch goes to the leader's own port (mesos-dns reuses the port of
// the master it happened to contact).
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { request } from 'undici';
import { StateFetchError, StateParseError, StateTooLargeError } from '../errors.js';
import { BodyBytes } from './body-bytes.js';
import { parseStateText } from './parse-state.js';
import { ArrivingDocument, readStateBytes, type ReadBytes, type StateReaderAddon } from './read-state.js';
import { masterOrigin, type MasterHttp } from './master-http.js';
import type { MasterState } from './state.js';
import { joinHostPort, sameHostPort, type HostPort } from '../net/address.js';

const MAX_REDIRECTS = 3;

export interface FetchedState {
  state: MasterState;
  /** The master that served it (the leader). */
  master: HostPort;
  /** Why the native state reader did not read it (read-state.ts); undefined when it did. */
  declined?: string;
  /** Time spent turning the body into a MasterState, ms. */
  readMs: number;
  /** The state document's size in bytes (inflated when sent gzip), for /metrics. */
  bytes: number;
}

/**
 * A body as bytes for the native state reader when it is built (read while it arrived when its
 * length was announced), else as text for JSON.parse (decoded while it arrived). See readBody.
 */
type StateBody = ReadBytes | Uint8Array | string;

/** GET one master's /master/state body, following up to three redirects. */
export async function fetchStateBody(http: MasterHttp, master: HostPort, reader: StateReaderAddon | null): Promise<{ body: StateBody; master: HostPort; bytes: number }> {
  const signal = AbortSignal.timeout(http.timeoutMs);
  let url = `${masterOrigin(http.scheme, master)}/master/state`;
  for (let hop = 0; ; hop++) {
    const authorization = await http.authorize();
    let res;
    try {
      res = await request(url, {
        method: 'GET',
        dispatcher: http.dispatcher,
        signal,
        headers: {
          'user-agent': 'mesos-dns-ts',
          accept: 'application/json',
          'accept-encoding': 'gzip',
          ...(authorization ? { authorization } : {}),
        },
      });
    } catch (err) {
      throw new StateFetchError(`GET ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (res.statusCode === 307 || res.statusCode === 302 || res.statusCode === 301) {
      await res.body.dump();
      // A loop (a master redirecting to itself, or two pointing at each other) ends here, named.
      if (hop >= MAX_REDIRECTS) throw new StateFetchError(`GET ${url}: still redirected (HTTP ${res.statusCode}) after ${MAX_REDIRECTS} redirects`);
      const location = res.headers.location;
      if (typeof location !== 'string') throw new StateFetchError(`GET ${url}: ${res.statusCode} without Location`);
      url = new URL(location, url).toString();
      continue;
    }
    if (res.statusCode !== 200) {
      // Always consume the body, or the connection leaks (undici README).
      await res.body.dump();
      throw new StateFetchError(`GET ${url}: HTTP ${res.statusCode}`);
    }
    const gzip = res.headers['content-encoding'] === 'gzip';
    const length = Number(res.headers['content-length']);
    const limit = http.maxStateBytes;
    if (!gzip && Number.isSafeInteger(length) && length > limit) {
      // Refused on the header alone: destroying the body closes the connection, so the master
      // stops sending and nothing of the body is buffered here.
      res.body.destroy();
      throw new StateTooLargeError(url, limit, `Content-Length ${length}`);
    }
    // The document's size for /metrics: as announced (readArriving checks it), or as read.
    const size = { bytes: length };
    const body =
      reader !== null && !gzip && Number.isSafeInteger(length) && length > 0
        ? await readArriving(res.body, new ArrivingDocument(reader, length), url)
        : await readBody(res.body, gzip, url, reader !== null, limit, size);
    const served = new URL(url);
    // A URL's hostname keeps an IPv6 literal's brackets; the endpoint does not.
    const host = served.hostname.startsWith('[') ? served.hostname.slice(1, -1) : served.hostname;
    return { body, master: { host, port: Number(served.port) || (http.scheme === 'https' ? 443 : 80) }, bytes: size.bytes };
  }
}

/**
 * The body, as bytes when `asBytes` (for the native reader, which reads bytes) or else as text. As
 * text, it is decoded chunk by chunk while it arrives, so little is left to do after its last byte
 * (a 40 MB state: ~30 ms instead of ~75 ms for gathering the chunks, copying them into one buffer
 * and decoding that) and the whole body is never held twice as bytes. A gzip body is inflated as
 * it arrives too. Either stops, and closes the connection, as soon as the bytes read (inflated,
 * for gzip: a small gzip body can inflate to gigabytes) pass `limit`.
 */
async function readBody(body: Readable, gzip: boolean, url: string, asBytes: boolean, limit: number, size: { bytes: number }): Promise<StateBody> {
  // ignoreBOM: a byte order mark stays in the text, as with Buffer.toString (JSON.parse refuses it).
  const decoder = asBytes ? undefined : new TextDecoder('utf-8', { ignoreBOM: true });
  const source: Readable = gzip ? pipeline(body, createGunzip(), () => {}) : body;
  const parts: string[] = [];
  const gathered = new BodyBytes();
  let bytes = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limit) {
        source.destroy();
        body.destroy();
        throw new StateTooLargeError(url, limit, gzip ? 'gzip body inflated' : 'body');
      }
      if (decoder) parts.push(decoder.decode(chunk, { stream: true }));
      else gathered.push(chunk);
    }
  } catch (err) {
    if (err instanceof StateFetchError) throw err;
    body.destroy();
    const what = gzip && (err as { code?: string }).code?.startsWith('Z_') ? 'bad gzip body' : 'body';
    throw new StateFetchError(`GET ${url}: ${what}: ${(err as Error).message}`, { cause: err });
  }
  size.bytes = bytes;
  if (decoder) {
    parts.push(decoder.decode());
    return parts.join('');
  }
  return gathered.take();
}

/**
 * A body of announced length into an ArrivingDocument, which the native reader reads as it fills.
 * undici ends the body with an error if it comes out shorter or longer than announced; both are
 * checked here as well.
 */
async function readArriving(body: Readable, doc: ArrivingDocument, url: string): Promise<ReadBytes> {
  let read: ReadBytes | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (!doc.push(chunk)) {
        body.destroy();
        throw new StateFetchError(`GET ${url}: body longer than its Content-Length`);
      }
    }
    read = doc.finish();
  } catch (err) {
    doc.cancel();
    if (err instanceof StateFetchError) throw err;
    throw new StateFetchError(`GET ${url}: body: ${(err as Error).message}`, { cause: err });
  }
  if (read === undefined) throw new StateFetchError(`GET ${url}: body shorter than its Content-Length`);
  return read;
}

function parseBody(body: StateBody, reader: StateReaderAddon | null): { state: MasterState; declined?: string; readMs: number } {
  const started = performance.now();
  const read =
    typeof body === 'string' ? { state: parseStateText(body) } : body instanceof Uint8Array ? readStateBytes(body, reader) : readStateBytes(body.bytes, reader, body.native);
  return { ...read, readMs: performance.now() - started };
}

/**
 * Fetch and parse the state from the leader: the known leader first, then every other master in
 * order (LoadMasterStateTryAll); if the state names a different leader, fetch again from it.
 * `reader` reads the bodies (read-state.ts); null reads them with JSON.parse.
 */
export async function fetchLeaderState(
  http: MasterHttp,
  masters: readonly HostPort[],
  leader: HostPort | undefined,
  reader: StateReaderAddon | null,
): Promise<FetchedState> {
  const order = leader ? [leader, ...masters.filter((m) => !sameHostPort(m, leader))] : [...masters];
  if (order.length === 0) throw new StateFetchError('no masters to fetch the state from');
  const failures: string[] = [];
  const errors: unknown[] = [];
  for (const master of order) {
    try {
      const got = await fetchStateBody(http, master, reader);
      const read = parseBody(got.body, reader);
      const leaderAddr = read.state.leader;
      if (sameHostPort(leaderAddr, got.master)) return { ...read, master: got.master, bytes: got.bytes };
      // The contacted master is not the leader (a stale replica answering with its view):
      // ask the leader it names.
      const fromLeader = await fetchStateBody(http, leaderAddr, reader);
      return { ...parseBody(fromLeader.body, reader), master: fromLeader.master, bytes: got.bytes + fromLeader.bytes };
    } catch (err) {
      if (err instanceof StateParseError && order.length === 1) throw err;
      failures.push(`${joinHostPort(master)}: ${(err as Error).message}`);
      errors.push(err);
    }
  }
  // The cause keeps each failure's class (and code) for the log line.
  const cause = errors.length === 1 ? errors[0] : new AggregateError(errors);
  throw new StateFetchError(`no master served a usable state (${failures.join('; ')})`, { cause });
}
