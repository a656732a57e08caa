// Reaching masters the way operators configure it: HTTPS (CA file, system CAs, explicit
// insecure mode), basic and IAM authentication, timeouts, non-200 answers, redirects, truncated
// bodies. Real HTTP(S) servers on loopback; the fetch layer under test is the production one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { StateFetchError } from '../src/errors.js';
import { fetchLeaderState } from '../src/mesos/fetch-state.js';
import { createMasterHttp, type MasterHttp } from '../src/mesos/master-http.js';
import { silentLogger } from '../src/log.js';
import { masters } from './helpers/masters.js';
import { joinHostPort } from '../src/net/address.js';
import { configuredStateReader } from '../src/mesos/read-state.js';

const READER = configuredStateReader(true).reader;

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const dir = mkdtempSync(path.join(tmpdir(), 'mdns-tls-'));
const servers: Array<http.Server | https.Server> = [];
const clients: MasterHttp[] = [];

function state(port: number): Record<string, unknown> {
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051' }],
    frameworks: [{ id: 'f1', name: 'marathon', tasks: [] }],
  };
}

async function serve(handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<number> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function client(overrides: Partial<Config>): MasterHttp {
  const c = createMasterHttp(withTyped({ ...DEFAULTS, ...overrides }), silentLogger);
  clients.push(c);
  return c;
}

let ca: { key: string; cert: string; caFile: string };

beforeAll(() => {
  // A throwaway CA and a server certificate for 127.0.0.1, made with openssl.
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
  ca = {
    key: readFileSync(path.join(dir, 'server.key'), 'utf8'),
    cert: readFileSync(path.join(dir, 'server.pem'), 'utf8'),
    caFile: path.join(dir, 'ca.pem'),
  };
});

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS to masters', () => {
  let port: number;
  beforeAll(async () => {
    port = await serve(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(state(port)));
      },
      { key: Buffer.from(ca.key), cert: Buffer.from(ca.cert) },
    );
  });

  it('verifies the master against CACertFile', async () => {
    const got = await fetchLeaderState(client({ MesosHTTPSOn: true, CACertFile: ca.caFile }), masters([`127.0.0.1:${port}`]), undefined, READER);
    expect(joinHostPort(got.master)).toBe(`127.0.0.1:${port}`);
    expect(got.state.agents.map((a) => a.id)).toEqual(['a1']);
  });

  it('without a CA file, verifies against the system CAs and refuses an unknown issuer (mesos-dns skips verification)', async () => {
    await expect(fetchLeaderState(client({ MesosHTTPSOn: true }), masters([`127.0.0.1:${port}`]), undefined, READER)).rejects.toBeInstanceOf(StateFetchError);
  });

  it('skips verification only when MesosHTTPSInsecure is set', async () => {
    const got = await fetchLeaderState(client({ MesosHTTPSOn: true, MesosHTTPSInsecure: true }), masters([`127.0.0.1:${port}`]), undefined, READER);
    expect(got.state.leader.port).toBe(port);
  });
});

describe('authentication', () => {
  it('sends HTTP Basic credentials', async () => {
    let seen: string | undefined;
    const port = await serve((req, res) => {
      seen = req.headers.authorization;
      res.end(JSON.stringify(state(port)));
    });
    await fetchLeaderState(
      client({ MesosAuthentication: 'basic', MesosCredentials: { Principal: 'dns', Secret: 's3cret' } }), masters([`127.0.0.1:${port}`]), undefined, READER);
    expect(seen).toBe(`Basic ${Buffer.from('dns:s3cret').toString('base64')}`);
  });

  it('logs in with an IAM service account (RS256 JWT) and sends the token, reusing it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let logins = 0;
    let verified = false;
    const loginPort = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        logins++;
        const { uid, token } = JSON.parse(body) as { uid: string; token: string };
        const [head, claims, sig] = token.split('.');
        const verifier = createVerify('RSA-SHA256');
        verifier.update(`${head}.${claims}`);
        verified = verifier.verify(publicKey, Buffer.from(sig, 'base64url'));
        const payload = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { uid: string; exp: number };
        expect(uid).toBe('dns-svc');
        expect(payload.uid).toBe('dns-svc');
        expect(payload.exp).toBeGreaterThan(Date.now() / 1000);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: 'tok-123' }));
      });
    });
    const iamFile = path.join(dir, 'iam.json');
    writeFileSync(
      iamFile,
      JSON.stringify({
        uid: 'dns-svc',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        login_endpoint: `http://127.0.0.1:${loginPort}/acs/api/v1/auth/login`,
      }),
    );
    const seen: Array<string | undefined> = [];
    const port = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.end(JSON.stringify(state(port)));
    });
    const c = client({ MesosAuthentication: 'iam', IAMConfigFile: iamFile });
    await fetchLeaderState(c, masters([`127.0.0.1:${port}`]), undefined, READER);
    await fetchLeaderState(c, masters([`127.0.0.1:${port}`]), undefined, READER);
    expect(verified).toBe(true);
    expect(seen).toEqual(['token=tok-123', 'token=tok-123']);
    expect(logins).toBe(1);
  });
});

describe('failures keep nothing half-read', () => {
  it('bounds a fetch by stateTimeoutSeconds and moves on to the next master', async () => {
    const hanging = await serve(() => {
      /* never answers */
    });
    const good = await serve((_req, res) => res.end(JSON.stringify(state(good))));
    const got = await fetchLeaderState(client({ StateTimeoutSeconds: 1 }), masters([`127.0.0.1:${hanging}`, `127.0.0.1:${good}`]), undefined, READER);
    expect(joinHostPort(got.master)).toBe(`127.0.0.1:${good}`);
  });

  it.each([
    ['a 500 answer', (res: http.ServerResponse) => res.writeHead(500).end('{"leader":"master@127.0.0.1:1"}'), 'HTTP 500'],
    [
      'a truncated document',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{"leader": "master@127.0.0.1:5050", "slaves": [');
        res.destroy();
      },
      '',
    ],
    ['a JSON error object', (res: http.ServerResponse) => res.end('{"error":"not ready"}'), 'leader'],
  ])('refuses %s', async (_what, answer, reason) => {
    const port = await serve((_req, res) => answer(res));
    const err = await fetchLeaderState(client({}), masters([`127.0.0.1:${port}`]), undefined, READER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(reason);
  });

  it('follows a 307 from a non-leading master and reads a gzip body', async () => {
    const leader = await serve((req, res) => {
      expect(req.headers['accept-encoding']).toContain('gzip');
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end(gzipSync(JSON.stringify(state(leader))));
    });
    const follower = await serve((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${leader}/master/state` }).end());
    const got = await fetchLeaderState(client({}), masters([`127.0.0.1:${follower}`]), undefined, READER);
    expect(joinHostPort(got.master)).toBe(`127.0.0.1:${leader}`);
  });

  it('decodes a body whose UTF-8 characters are split across chunks', async () => {
    // "marathön-é" written in single-byte writes: every multi-byte character arrives in pieces.
    const leader = await serve((_req, res) => {
      const body = Buffer.from(JSON.stringify({ ...state(leader), frameworks: [{ id: 'f1', name: 'marathön-é', tasks: [] }] }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      let i = 0;
      const next = (): void => {
        if (i >= body.length) return void res.end();
        res.write(body.subarray(i, ++i), next);
      };
      next();
    });
    const got = await fetchLeaderState(client({}), masters([`127.0.0.1:${leader}`]), undefined, READER);
    expect(got.state.frameworks[0].name).toBe('marathön-é');
  });

  it("asks the leader named in a follower's state, on the leader's own port", async () => {
    const leader = await serve((_req, res) => res.end(JSON.stringify(state(leader))));
    const stale = await serve((_req, res) => res.end(JSON.stringify(state(leader))));
    const got = await fetchLeaderState(client({}), masters([`127.0.0.1:${stale}`]), undefined, READER);
    expect(joinHostPort(got.master)).toBe(`127.0.0.1:${leader}`);
  });
});
