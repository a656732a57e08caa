// The native state reader (native/state-reader.c through src/mesos/read-state.ts) beyond whole
// documents: task id hashes, damaged input under the C memory checks, documents that arrive in
// pieces, readers stopped or dropped unfinished, and the poller reading with it.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { generateStateText } from '../bench/gen-state.js';
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import { StateFetchError } from '../src/errors.js';
import { fetchLeaderState } from '../src/mesos/fetch-state.js';
import { createMasterHttp } from '../src/mesos/master-http.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { ArrivingDocument, readStateBytes, stateReaderAddon, type StateReaderAddon } from '../src/mesos/read-state.js';
import { taskHash } from '../src/records/task-hash.js';
import { silentLogger } from '../src/log.js';
import { seededRandom } from './helpers/seeded-random.js';
import { masters } from './helpers/masters.js';
import { bytesOf, fixture, nativeAddon, richState, withoutIdHashes } from './helpers/read-state.js';
import { richSnapshot, syntheticSnapshot } from './helpers/read-subscribed.js';

describe('native state reader', () => {
  it('hashes task ids of every length as taskHash does, with and without the CPU\'s SHA extensions', () => {
    // Ids from 0 to 200 bytes (one to four SHA-1 blocks, every padding case), ASCII and not. The
    // reader picks the SHA-NI rounds when the CPU has them; MDNS_SHA1_PORTABLE forces the others,
    // so both are checked wherever this runs.
    const script = `
      const { readStateBytes } = await import(${JSON.stringify(new URL('../dist/mesos/read-state.js', import.meta.url).href)});
      const { taskHash } = await import(${JSON.stringify(new URL('../dist/records/task-hash.js', import.meta.url).href)});
      const tasks = [];
      for (let len = 0; len <= 200; len++) {
        tasks.push({ id: 'x'.repeat(len), name: 'a' });
        if (len >= 2) tasks.push({ id: 'é'.repeat(len >> 1) + String.fromCharCode(33 + (len % 90)), name: 'b' });
      }
      const { state, declined } = readStateBytes(Buffer.from(JSON.stringify({ leader: 'master@1.2.3.4:5050', frameworks: [{ id: 'f', tasks }] })));
      const wrong = state.frameworks[0].tasks.filter((t) => t.idHash !== taskHash(t.id)).length;
      console.log(JSON.stringify({ declined: declined ?? null, tasks: tasks.length, wrong }));`;
    for (const env of [{}, { MDNS_SHA1_PORTABLE: '1' }]) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8', env: { ...process.env, ...env } });
      expect(JSON.parse(out)).toEqual({ declined: null, tasks: 400, wrong: 0 });
    }
  });

  it('survives damaged documents and SUBSCRIBED records in C without a memory error, a leak or undefined behaviour', () => {
    // test/native/state-reader-fuzz.c, built with AddressSanitizer and UndefinedBehaviorSanitizer
    // around the reader's own source: 20,000 damaged documents, read whole, and every fourth also
    // in random pieces on the reader's thread (sometimes cancelled), which must agree; then as
    // many damaged SUBSCRIBED records.
    const dir = mkdtempSync(path.join(tmpdir(), 'mdns-fuzz-'));
    try {
      const root = fileURLToPath(new URL('..', import.meta.url));
      const include = [
        path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
        path.join(root, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`, 'include', 'node'),
        '/usr/include/node',
        '/usr/local/include/node',
      ].find((d) => existsSync(path.join(d, 'node_api.h')));
      expect(include).toBeDefined();
      const binary = path.join(dir, 'fuzz');
      execFileSync(process.env.CC || 'cc', [
        '-O1', '-g', '-std=gnu11', '-pthread', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
        '-I', include as string, path.join(root, 'test', 'native', 'state-reader-fuzz.c'), '-o', binary,
      ], { stdio: 'pipe', timeout: 60_000 });
      const rich = path.join(dir, 'rich.json');
      writeFileSync(rich, JSON.stringify(richState()));
      const fixtureFile = fileURLToPath(new URL('./fixtures/mesos-state-fake.json', import.meta.url));
      const out = execFileSync(binary, [rich, fixtureFile, '-n', '20000'], { encoding: 'utf8', timeout: 120_000 });
      const m = /^ok (\d+) declined (\d+) partial (\d+)$/.exec(out.trim());
      expect(m).not.toBeNull();
      // Every outcome was exercised: read, declined, and read with elements left out.
      expect(Number(m?.[1])).toBeGreaterThan(100);
      expect(Number(m?.[2])).toBeGreaterThan(100);
      expect(Number(m?.[3])).toBeGreaterThan(100);
      // The Operator API's SUBSCRIBED records (native/operator-state.h), the same way.
      const rich1 = path.join(dir, 'rich-subscribed.json');
      writeFileSync(rich1, JSON.stringify(richSnapshot()));
      const synthetic1 = path.join(dir, 'synthetic-subscribed.json');
      writeFileSync(synthetic1, JSON.stringify(syntheticSnapshot(40, 5)));
      const v1 = execFileSync(binary, ['--subscribed', rich1, synthetic1, '-n', '20000'], { encoding: 'utf8', timeout: 120_000 });
      const m1 = /^ok (\d+) declined (\d+) partial (\d+)$/.exec(v1.trim());
      expect(m1).not.toBeNull();
      expect(Number(m1?.[1])).toBeGreaterThan(100);
      expect(Number(m1?.[2])).toBeGreaterThan(100);
      expect(Number(m1?.[3])).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a document that arrives in pieces, whatever the cut, as it reads it whole', () => {
    const addon = nativeAddon();
    const rand = seededRandom(7);
    const docs = [fixture, bytesOf(richState()), bytesOf(JSON.stringify(richState(), null, 2)), bytesOf(generateStateText(300, 5))];
    // Damaged ones too: the reader must decline (or fail) the same way in pieces.
    docs.push(bytesOf(JSON.stringify(richState()).slice(0, 700)), bytesOf('{"leader": "master@1.2.3.4:5050", "x": 1e}'));
    for (const bytes of docs) {
      const whole = addon.read(bytes);
      // Byte by byte only where that stays quick: each piece hands over to the reader thread.
      for (const maxChunk of bytes.length < 10_000 ? [1, 3, 64, 4096] : [64, 4096]) {
        const doc = new ArrivingDocument(addon, bytes.length);
        for (let at = 0; at < bytes.length; ) {
          const n = 1 + Math.floor(rand() * maxChunk);
          expect(doc.push(bytes.subarray(at, at + n))).toBe(true);
          at += n;
        }
        const read = doc.finish();
        expect(read?.bytes).toEqual(bytes);
        expect(read?.native).toStrictEqual(whole);
      }
    }
    expect(typeof addon.read(docs[0])).toBe('object');
  });

  it('stops a reader whose document is cut short, refused, or abandoned', () => {
    const addon = nativeAddon();
    const bytes = bytesOf(generateStateText(200, 6));
    // Fewer bytes than announced: no result, and the reader is stopped.
    const short = new ArrivingDocument(addon, bytes.length);
    short.push(bytes.subarray(0, 1000));
    expect(short.finish()).toBeUndefined();
    // More than announced: refused, nothing kept.
    const long = new ArrivingDocument(addon, 10);
    expect(long.push(bytes.subarray(0, 11))).toBe(false);
    long.cancel();
    // Cancelled half way, and cancelled before anything came.
    const half = new ArrivingDocument(addon, bytes.length);
    half.push(bytes.subarray(0, bytes.length >> 1));
    half.cancel();
    new ArrivingDocument(addon, bytes.length).cancel();
  });

  it('gives the C allocator\'s free pages back with trimMalloc (after the main thread\'s collections)', () => {
    // A child fragments glibc's arena as a build's buffers do: 3,000 buffers of 60 KB from malloc,
    // every eighth kept, the rest collected. Their pages stay resident between the kept ones until
    // trimMalloc (malloc_trim) gives them back.
    const script = `
      const { stateReaderAddon } = await import(${JSON.stringify(new URL('../dist/mesos/read-state.js', import.meta.url).href)});
      const addon = stateReaderAddon().addon;
      const { readFileSync } = await import('node:fs');
      const rssMB = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
      let all = [];
      for (let i = 0; i < 3000; i++) all.push(Buffer.allocUnsafeSlow(60 * 1024).fill(i));
      globalThis.kept = all.filter((_, i) => i % 8 === 0);
      all = null;
      for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
      const before = rssMB();
      const released = addon.trimMalloc();
      console.log(JSON.stringify({ released, freedMB: before - rssMB() }));`;
    const env = { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8', env });
    const { released, freedMB } = JSON.parse(out) as { released: boolean; freedMB: number };
    expect(released).toBe(true);
    // ~150 MB were freed inside the arena; most of it goes back.
    expect(freedMB).toBeGreaterThan(80);
  });

  it('stops readers that are dropped unfinished when they are collected', () => {
    // A child process opens readers, feeds them part of a document, drops them and collects them:
    // each finaliser stops its reader thread and waits for it, so a reader that did not stop
    // would hang the child (and fail this test on its timeout) instead of letting it finish.
    const script = `
      const { ArrivingDocument, stateReaderAddon } = await import(${JSON.stringify(new URL('../dist/mesos/read-state.js', import.meta.url).href)});
      const addon = stateReaderAddon().addon;
      const text = Buffer.from('{"leader": "master@1.2.3.4:5050", "frameworks": [' + '{"id": "f", "tasks": []},'.repeat(1000));
      for (let i = 0; i < 20; i++) new ArrivingDocument(addon, text.length + 100).push(text);
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
      globalThis.gc();
      console.log('done');`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(out.trim()).toBe('done');
  });

  it('is what the poller reads with: while the body arrives, whole, gzip, and says when it declined', async () => {
    const addon = nativeAddon();
    let opened = 0;
    let reads = 0;
    const counting: StateReaderAddon = {
      read: (bytes) => (reads++, addon.read(bytes)),
      readSubscribed: (bytes) => addon.readSubscribed(bytes),
      open: (buffer) => (opened++, addon.open(buffer)),
      push: (h, n) => addon.push(h, n),
      finish: (h, n) => addon.finish(h, n),
      cancel: (h) => addon.cancel(h),
      trimMalloc: () => addon.trimMalloc(),
    };
    let body: Buffer = Buffer.alloc(0);
    let mode: 'length' | 'chunked' | 'gzip' | 'short' = 'length';
    const server = http.createServer((_req, res) => {
      if (mode === 'short') {
        // Announces more than it sends, then hangs up.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length + 10 });
        res.write(body, () => res.destroy());
        return;
      }
      const sent = mode === 'gzip' ? gzipSync(body) : body;
      res.writeHead(200, { 'content-type': 'application/json', ...(mode === 'gzip' ? { 'content-encoding': 'gzip' } : {}), ...(mode === 'chunked' ? {} : { 'content-length': sent.length }) });
      // In pieces, as a large body comes over the network.
      for (let at = 0; at < sent.length; at += 1000) res.write(sent.subarray(at, at + 1000));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const leader = `master@127.0.0.1:${port}`;
    const client = createMasterHttp(withTyped({ ...DEFAULTS, StateTimeoutSeconds: 5 }), silentLogger);
    const fetch = () => fetchLeaderState(client, masters([`127.0.0.1:${port}`]), undefined, counting);
    try {
      body = bytesOf(generateStateText(50, 4, { leader }));
      const want = parseStateText(body.toString());
      const streamed = await fetch();
      expect([opened, reads]).toEqual([1, 0]);
      expect(streamed.declined).toBeUndefined();
      expect(withoutIdHashes(streamed.state)).toStrictEqual(want);
      for (const m of ['chunked', 'gzip'] as const) {
        mode = m;
        const whole = await fetch();
        expect(whole.declined).toBeUndefined();
        expect(withoutIdHashes(whole.state)).toStrictEqual(want);
      }
      expect([opened, reads]).toEqual([1, 2]);
      mode = 'short';
      await expect(fetch()).rejects.toBeInstanceOf(StateFetchError);
      expect(opened).toBe(2);
      mode = 'length';
      body = bytesOf(body.toString().replace('"leader":', '"leader":"x","leader":'));
      const repeated = await fetch();
      expect(repeated.declined).toMatch(/repeated/);
      expect(repeated.state).toStrictEqual(want);
      // A reader that is not there: JSON.parse, and no reason to give.
      const plain = await fetchLeaderState(client, masters([`127.0.0.1:${port}`]), undefined, null);
      expect(plain.declined).toBeUndefined();
      expect(plain.state).toStrictEqual(want);
    } finally {
      await client.close();
      await new Promise((r) => server.close(r));
    }
  });
});
