import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { Agent, request } from 'undici';
import { redactConfig } from '../src/config/redact.js';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { createLogger } from '../src/log.js';
import { TableStore } from '../src/store.js';
import type { NameRecords, RecordTable } from '../src/records/table.js';
import { createHttpServer, listen, acceptsJson } from '../src/http/server.js';

const rec = (r: Partial<NameRecords>): NameRecords => ({ a: r.a ?? [], aaaa: r.aaaa ?? [], srv: r.srv ?? [] });

function makeTable(serial: number, names: Record<string, NameRecords>): RecordTable {
  return {
    zone: 'mesos.',
    ttl: 60,
    soa: { zone: 'mesos.', mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
    ns: ['ns1.mesos.'],
    names: new Map(Object.entries(names)),
    existing: new Set(['mesos.', ...Object.keys(names)]),
    enumeration: null,
  };
}

const store = new TableStore();
let config: Config = withTyped({ ...DEFAULTS });
const logLines: string[] = [];
const logger = createLogger({ level: 'error', destination: { write: (line: string) => void logLines.push(line) } });

const extraRoutes = new Map([
  ['/metrics', () => ({ status: 200, contentType: 'text/plain; version=0.0.4', body: 'requests_total 1\n' })],
  [
    '/broken',
    (): never => {
      throw new Error('boom');
    },
  ],
]);

let server: Server;
let base: string;
const agent = new Agent();

beforeAll(async () => {
  server = createHttpServer({ store, config: () => redactConfig(config), version: '0.1.0', logger, random: () => 0, extraRoutes });
  const address = await listen(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await agent.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(path: string, options: { method?: 'GET' | 'POST' | 'HEAD' | 'DELETE'; headers?: Record<string, string> } = {}) {
  const res = await request(base + path, { method: options.method ?? 'GET', headers: options.headers, dispatcher: agent });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

// Runs in file order: the table store starts empty, then gets swapped.
describe('before the first table', () => {
  it('serves version, answers lookups with the not-found shape and dumps with 503', async () => {
    expect((await get('/v1/version')).status).toBe(200);
    const hosts = await get('/v1/hosts/leader.mesos');
    expect(hosts.status).toBe(200);
    expect(JSON.parse(hosts.body)).toEqual([{ host: '', ip: '' }]);
    const axfr = await get('/v1/axfr');
    expect(axfr.status).toBe(503);
    expect(JSON.parse(axfr.body)).toEqual({ error: 'no state loaded yet' });
    expect((await get('/health')).status).toBe(503);
  });
});

describe('with a table', () => {
  beforeAll(() => {
    store.swap(makeTable(100, { 'leader.mesos.': rec({ a: ['10.0.0.1'] }), '_leader._tcp.mesos.': rec({ srv: [{ target: 'leader.mesos.', port: 5050, priority: 0, weight: 1 }] }) }));
  });

  it('sends Go-formatted JSON with an exact Content-Type and Content-Length', async () => {
    const res = await get('/v1/version');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
    expect(res.body).toBe('{\n  "Service": "Mesos-DNS",\n  "URL": "https://github.com/mesosphere/mesos-dns",\n  "Version": "0.1.0"\n }');
  });

  it('tolerates a trailing slash and ignores the query string', async () => {
    const plain = await get('/v1/version');
    const slash = await get('/v1/version/');
    expect([slash.status, slash.body]).toEqual([200, plain.body]);
    expect((await get('/v1/version?pretty=1')).body).toBe(plain.body);
    expect(JSON.parse((await get('/v1/hosts/leader.mesos/')).body)).toEqual([{ host: 'leader.mesos.', ip: '10.0.0.1' }]);
  });

  it('decodes path parameters and echoes the service as given', async () => {
    const res = await get('/v1/services/_LEADER._tcp.mesos%2E');
    expect(JSON.parse(res.body)).toEqual([{ service: '_LEADER._tcp.mesos.', host: 'leader.mesos.', ip: '10.0.0.1', port: '5050' }]);
    // literal segments match after decoding too, as with Go's net/http
    expect((await get('/v1/%76ersion')).status).toBe(200);
  });

  it('refuses a broken %-escape with 400', async () => {
    const res = await get('/v1/hosts/%zz');
    expect(res.status).toBe(400);
    expect(res.body).toBe('400 Bad Request');
  });

  it('answers 404 for unknown paths, whatever the method', async () => {
    for (const [path, method] of [
      ['/v1/nope', 'GET'],
      ['/v1/nope', 'POST'],
      ['/', 'GET'],
      ['/v1/hosts', 'GET'],
      ['/v1/hosts/leader.mesos/ports/x', 'GET'],
    ] as const) {
      const res = await get(path, { method });
      expect([path, method, res.status, res.body]).toEqual([path, method, 404, '404: Page Not Found']);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
  });

  it('answers 405 for other methods on known paths, HEAD included', async () => {
    const post = await get('/v1/config', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.body).toBe('405: Method Not Allowed');
    expect(post.headers.allow).toBe('GET');
    expect((await get('/v1/hosts/leader.mesos', { method: 'DELETE' })).status).toBe(405);
    const head = await get('/v1/version', { method: 'HEAD' });
    expect(head.status).toBe(405);
    expect(head.body).toBe('');
  });

  it('negotiates Accept like go-restful: JSON, application/* or */* pass; anything else is 406', async () => {
    for (const accept of ['application/json', '*/*', 'text/html, application/json;q=0.9', 'APPLICATION/*']) {
      expect([accept, (await get('/v1/version', { headers: { accept } })).status]).toEqual([accept, 200]);
    }
    const res = await get('/v1/version', { headers: { accept: 'text/plain' } });
    expect(res.status).toBe(406);
    expect(res.body).toBe('406: Not Acceptable');
    expect((await get('/v1/hosts/leader.mesos/ports', { headers: { accept: 'text/plain' } })).status).toBe(406);
  });

  it('answers 501 for the unimplemented ports route', async () => {
    const res = await get('/v1/hosts/leader.mesos/ports');
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('To be implemented...');
  });

  it('shows a swapped table on the next request', async () => {
    expect(JSON.parse((await get('/health')).body)).toEqual({ status: 'ok', generation: 1, serial: 100 });
    store.swap(makeTable(200, { 'leader.mesos.': rec({ a: ['10.0.0.2'] }) }));
    expect(JSON.parse((await get('/health')).body)).toEqual({ status: 'ok', generation: 2, serial: 200 });
    expect(JSON.parse((await get('/v1/hosts/leader.mesos')).body)).toEqual([{ host: 'leader.mesos.', ip: '10.0.0.2' }]);
    expect(JSON.parse((await get('/v1/config')).body).SOASerial).toBe(200);
  });

  it('unregisters enumerate and axfr when EnumerationOn is false (404 even for POST)', async () => {
    expect((await get('/v1/axfr')).status).toBe(200);
    config = withTyped({ ...DEFAULTS, EnumerationOn: false });
    try {
      for (const path of ['/v1/axfr', '/v1/enumerate']) {
        expect((await get(path)).status).toBe(404);
        expect((await get(path, { method: 'POST' })).status).toBe(404);
      }
    } finally {
      config = withTyped({ ...DEFAULTS });
    }
  });

  it('serves extra routes as returned, GET only', async () => {
    const res = await get('/metrics', { headers: { accept: 'text/plain' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(res.body).toBe('requests_total 1\n');
    expect((await get('/metrics', { method: 'POST' })).status).toBe(405);
  });

  it('turns a handler exception into one 500 and one log line', async () => {
    logLines.length = 0;
    const res = await get('/broken');
    expect(res.status).toBe(500);
    expect(res.body).toBe('500: Internal Server Error');
    expect(logLines).toHaveLength(1);
    expect(JSON.parse(logLines[0])).toMatchObject({ component: 'http', url: '/broken', err: { message: 'boom' } });
    // the server keeps serving
    expect((await get('/v1/version')).status).toBe(200);
  });
});

describe('acceptsJson', () => {
  it.each([
    [undefined, true],
    ['', true],
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['*/*;q=0.1', true],
    ['text/plain', false],
    ['application/json;q=0', false],
    ['application/xml, text/*', false],
  ])('%p -> %p', (accept, ok) => {
    expect(acceptsJson(accept)).toBe(ok);
  });
});
