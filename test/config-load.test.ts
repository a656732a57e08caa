// loadConfig on real files (a temporary directory), and the shipped config.example.json and
// docs/configuration.md against the defaults.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { RAW_DEFAULTS, type RawConfig } from '../src/config/schema.js';
import { loadConfig } from '../src/config/load.js';
import { BASE, asyncErrorsOf } from './helpers/config.js';

// A throwaway self-signed certificate and its key, made for these tests only.
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBjjCCATWgAwIBAgIUQffvCk7/+haiUGqhNrGjrpuTKdMwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbWVzb3MtZG5zLXRzIHRlc3QwIBcNMjYxMTIzMTEzNDM5WhgP
MjEyNjEwMzAxMTM0MzlaMBwxGjAYBgNVBAMMEW1lc29zLWRucy10cyB0ZXN0MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAErXyj+5+/D5miFa4wlKDwzAXJznA0PfT5
ZTJ/zRlaZ/hldAVaAbJD+vLWrkLgF03oHV6ZNj1d0SvG45FfCJnSMaNTMFEwHQYD
VR0OBBYEFKixBPhfqMoq4hXeVS7Cr1G6Mf20MB8GA1UdIwQYMBaAFKixBPhfqMoq
4hXeVS7Cr1G6Mf20MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg
XJT1fvDkHxihKjDij1s89JFRm+lsbuyssn91pfaXPcMCIAVp8Ra/LPdG4OCNWc6s
NQ6jQLssoS3LH5W90GyakQp8
-----END CERTIFICATE-----
`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggPejbSl+9Hg/o4iL
2cSqYJvxo6XzXxEoz3ByxwTlEVihRANCAAStfKP7n78PmaIVrjCUoPDMBcnOcDQ9
9PllMn/NGVpn+GV0BVoBskP68tauQuAXTegdXpk2PV3RK8bjkV8ImdIx
-----END PRIVATE KEY-----
`;

describe('loadConfig on real files', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  const write = async (name: string, content: unknown) => {
    await writeFile(file(name), typeof content === 'string' ? content : JSON.stringify(content));
    return file(name);
  };
  const pem = (type: 'rsa' | 'ec'): string => {
    const { privateKey } =
      type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mesos-dns-ts-config-'));
    await write('ca.pem', TEST_CERT);
    await write('key.pem', TEST_KEY);
    await write('other-key.pem', pem('ec'));
    await write('garbage.pem', 'not a certificate\n');
    await write('iam.json', { uid: 'svc', private_key: pem('rsa'), login_endpoint: 'https://master.mesos/acs/api/v1/auth/login' });
    await write('iam-missing.json', { uid: 'svc', private_key: pem('rsa') });
    await write('iam-ec.json', { uid: 'svc', private_key: pem('ec'), login_endpoint: 'https://m/login' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file, makes File absolute and takes SOASerial from the clock', async () => {
    await write('config.json', { ...BASE, ttl: 7 });
    const { config: c, warnings } = await loadConfig('config.json', { cwd: () => dir, now: () => 42 });
    expect(c.File).toBe(file('config.json'));
    expect(c.TTL).toBe(7);
    expect(c.SOASerial).toBe(42);
    expect(warnings).toEqual([]);
  });

  it('expands a leading ~/ from HOME', async () => {
    await write('home.json', BASE);
    const { config: c } = await loadConfig('~/home.json', { env: { HOME: dir }, cwd: () => '/' });
    expect(c.File).toBe(file('home.json'));
  });

  it('falls back to USERPROFILE when HOME is unset, as mesos-dns does', async () => {
    await write('profile.json', BASE);
    const { config: c } = await loadConfig('~/profile.json', { env: { USERPROFILE: dir }, cwd: () => '/' });
    expect(c.File).toBe(file('profile.json'));
  });

  it('reports a missing file with its absolute path', async () => {
    const errors = await asyncErrorsOf(() => loadConfig(file('nope.json')));
    expect(errors.map((e) => [e.key, e.reason])).toEqual([['config', `missing configuration file: "${file('nope.json')}"`]]);
  });

  it('quotes the JSON parser on a malformed file', async () => {
    const text = '{"masters": ["127.0.0.1:5050"],, }';
    await write('bad.json', text);
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (err) {
      parserMessage = (err as Error).message;
    }
    const errors = await asyncErrorsOf(() => loadConfig(file('bad.json')));
    expect(errors).toHaveLength(1);
    expect(errors[0].key).toBe('config');
    expect(errors[0].reason).toContain(file('bad.json'));
    expect(errors[0].reason).toContain(parserMessage);
  });

  it('passes validation errors through with the keys as written', async () => {
    await write('invalid.json', { masters: ['127.0.0.1:5050'], RefreshSeconds: 0 });
    const errors = await asyncErrorsOf(() => loadConfig(file('invalid.json')));
    expect(errors.map((e) => e.key)).toEqual(['RefreshSeconds']);
  });

  it('accepts a CA file holding a PEM certificate, and a matching client pair', async () => {
    await write('tls.json', { ...BASE, MesosHTTPSOn: true, CACertFile: file('ca.pem'), CertFile: file('ca.pem'), KeyFile: file('key.pem') });
    const { config: c } = await loadConfig(file('tls.json'));
    expect(c.CACertFile).toBe(file('ca.pem'));
  });

  const fileCases: [string, () => Record<string, unknown>, string, string][] = [
    ['a CA file without a certificate', () => ({ cacertfile: file('garbage.pem') }), 'cacertfile', 'holds no PEM certificate'],
    ['a missing CA file', () => ({ CACertFile: file('none.pem') }), 'CACertFile', 'cannot read'],
    ['a missing key file', () => ({ CertFile: file('ca.pem'), KeyFile: file('none.pem') }), 'KeyFile', 'cannot read'],
    ['a key that does not match the certificate', () => ({ CertFile: file('ca.pem'), KeyFile: file('other-key.pem') }), 'KeyFile', 'is not the key of the certificate'],
    ['a key file without a key', () => ({ CertFile: file('ca.pem'), KeyFile: file('ca.pem') }), 'KeyFile', 'holds no usable PEM private key'],
    ['a CertFile without a certificate', () => ({ CertFile: file('key.pem'), KeyFile: file('key.pem') }), 'CertFile', 'holds no PEM certificate'],
    ['an IAM file without login_endpoint', () => ({ mesosAuthentication: 'iam', IAMConfigFile: file('iam-missing.json') }), 'IAMConfigFile', '"login_endpoint" must be non-empty strings'],
    ['an IAM file with an EC key', () => ({ mesosAuthentication: 'iam', IAMConfigFile: file('iam-ec.json') }), 'IAMConfigFile', 'must be an RSA key'],
    ['an IAM file that is not JSON', () => ({ mesosAuthentication: 'iam', IAMConfigFile: file('garbage.pem') }), 'IAMConfigFile', 'not valid JSON'],
  ];
  it.each(fileCases)('rejects %s', async (_name, extra, key, reason) => {
    const name = `${key}-${reason.replace(/\W+/g, '-')}.json`;
    await write(name, { ...BASE, ...extra() });
    const errors = await asyncErrorsOf(() => loadConfig(file(name)));
    expect(errors.map((e) => e.key)).toEqual([key]);
    expect(errors[0].reason).toContain(reason);
  });

  it('accepts a complete IAM account file', async () => {
    await write('iam-ok.json', { ...BASE, mesosAuthentication: 'iam', IAMConfigFile: file('iam.json') });
    const { config: c } = await loadConfig(file('iam-ok.json'));
    expect(c.MesosAuthentication).toBe('iam');
  });

  it('reads resolv.conf and interface addresses only when resolvers is []', async () => {
    await write('resolv.conf', 'nameserver 10.1.1.1\nnameserver 192.0.2.7\n');
    await write('fill.json', { ...BASE, resolvers: [] });
    await write('nofill.json', BASE);
    const reads: string[] = [];
    let interfaceCalls = 0;
    const deps = {
      readFile: async (f: string) => {
        reads.push(f);
        return readFile(f, 'utf8');
      },
      resolvConfPath: file('resolv.conf'),
      networkInterfaces: () => {
        interfaceCalls++;
        return { eth0: [{ address: '192.0.2.7', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr: '192.0.2.7/24' }] };
      },
    };
    const filled = await loadConfig(file('fill.json'), deps);
    expect(filled.config.Resolvers).toEqual(['10.1.1.1']);
    expect(reads).toEqual([file('fill.json'), file('resolv.conf')]);
    expect(interfaceCalls).toBe(1);

    reads.length = 0;
    const plain = await loadConfig(file('nofill.json'), deps);
    expect(plain.config.Resolvers).toEqual(['8.8.8.8']);
    expect(reads).toEqual([file('nofill.json')]);
    expect(interfaceCalls).toBe(1);
  });

  it('names resolvers when resolv.conf cannot be read', async () => {
    await write('fill2.json', { ...BASE, Resolvers: [] });
    const errors = await asyncErrorsOf(() => loadConfig(file('fill2.json'), { resolvConfPath: file('no-resolv.conf') }));
    expect(errors.map((e) => e.key)).toEqual(['Resolvers']);
    expect(errors[0].reason).toContain('cannot be read');
  });
});

describe('config.example.json and docs/configuration.md', () => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  // Set by the server, not by the file: listing them in the example would suggest they do something.
  const NOT_IN_FILE = new Set<keyof Config>(['SOASerial', 'File']);
  const fields = (Object.keys(RAW_DEFAULTS) as (keyof RawConfig)[]).filter((k) => !NOT_IN_FILE.has(k));

  it('lists every key with its default (masters aside) and parses without warnings', async () => {
    const example = JSON.parse(await readFile(path.join(root, 'config.example.json'), 'utf8')) as Record<string, unknown>;
    const byLower = new Map(Object.entries(example).map(([k, v]) => [k.toLowerCase(), v]));
    for (const field of fields) {
      expect([field, byLower.has(field.toLowerCase())]).toEqual([field, true]);
      if (field === 'Masters') continue;
      const value = byLower.get(field.toLowerCase());
      if (field === 'MesosCredentials') expect(value).toEqual({ principal: '', secret: '' });
      else expect([field, value]).toEqual([field, DEFAULTS[field]]);
    }
    expect(byLower.get('masters')).toEqual(['127.0.0.1:5050']);

    const loaded = await loadConfig(path.join(root, 'config.example.json'), { now: () => 1 });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config).toEqual(withTyped({ ...DEFAULTS, Masters: ['127.0.0.1:5050'], File: path.join(root, 'config.example.json'), SOASerial: 1 }));
  });

  it('documents every key', async () => {
    const doc = (await readFile(path.join(root, 'docs', 'configuration.md'), 'utf8')).toLowerCase();
    for (const field of fields) expect([field, doc.includes(`\`${field.toLowerCase()}\``)]).toEqual([field, true]);
  });
});
