// loadConfig: the I/O around parseConfig (validate.ts). Find and read the file, gather the
// machine's facts only when the file needs them (resolv.conf, local addresses), then check that
// the files the config names (CA, client certificate and key, IAM service account) are usable now,
// not at the first HTTPS request to a master.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile as fsReadFile } from 'node:fs/promises';
import { networkInterfaces as osNetworkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import path from 'node:path';
import { ConfigError, ConfigErrors } from '../errors.js';
import { isObject, matchKeys, show, wantsResolvConf } from './decode.js';
import type { RawConfig } from './schema.js';
import { parseConfig, type LoadedConfig } from './validate.js';

/** What loadConfig touches outside the process, injectable for tests. */
export interface LoadDeps {
  readFile(file: string): Promise<string>;
  /** Unix seconds. */
  now(): number;
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Environment for `~/` expansion (HOME, then USERPROFILE, as mesos-dns). */
  env: Readonly<Record<string, string | undefined>>;
  cwd(): string;
  resolvConfPath: string;
}

const DEFAULT_DEPS: LoadDeps = {
  readFile: (file) => fsReadFile(file, 'utf8'),
  now: () => Math.floor(Date.now() / 1000),
  networkInterfaces: osNetworkInterfaces,
  env: process.env,
  cwd: () => process.cwd(),
  resolvConfPath: '/etc/resolv.conf',
};


/** `~/x` -> `$HOME/x` (mesos-dns also tries USERPROFILE), then absolute against the CWD. */
export function configFilePath(file: string, deps: Pick<LoadDeps, 'env' | 'cwd'>): string {
  let expanded = file;
  if (file.startsWith('~/')) {
    const home = deps.env.HOME || deps.env.USERPROFILE || '.';
    expanded = path.join(home, file.slice(2));
  }
  return path.resolve(deps.cwd(), expanded);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function localAddresses(deps: LoadDeps): string[] {
  const out: string[] = [];
  for (const list of Object.values(deps.networkInterfaces())) {
    for (const info of list ?? []) out.push(info.address);
  }
  return out;
}

/**
 * Reads, validates and normalises the configuration file at `file`. Throws ConfigErrors naming
 * every key that cannot be used.
 */
export async function loadConfig(file: string, deps: Partial<LoadDeps> = {}): Promise<LoadedConfig> {
  const d: LoadDeps = { ...DEFAULT_DEPS, ...deps };
  const abs = configFilePath(file, d);
  let text: string;
  try {
    text = await d.readFile(abs);
  } catch (err) {
    const reason =
      errnoCode(err) === 'ENOENT'
        ? `missing configuration file: "${abs}"`
        : `cannot read configuration file "${abs}": ${errMessage(err)}`;
    throw new ConfigErrors([new ConfigError('config', reason)]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigErrors([new ConfigError('config', `"${abs}" is not valid JSON: ${errMessage(err)}`)]);
  }

  const written = isObject(raw) ? matchKeys(raw).written : new Map<keyof RawConfig, string>();
  const keyOf = (field: keyof RawConfig) => written.get(field) ?? field;

  let resolvConf = '';
  let locals: string[] = [];
  if (wantsResolvConf(raw)) {
    try {
      resolvConf = await d.readFile(d.resolvConfPath);
    } catch (err) {
      throw new ConfigErrors([
        new ConfigError(keyOf('Resolvers'), `is empty, and ${d.resolvConfPath} cannot be read: ${errMessage(err)}`),
      ]);
    }
    locals = localAddresses(d);
  }

  const loaded = parseConfig(raw, { file: abs, resolvConf, localAddresses: locals, now: d.now() });
  const errors = await checkNamedFiles(loaded.config, d.readFile, keyOf);
  if (errors.length > 0) throw new ConfigErrors(errors, loaded.warnings);
  return loaded;
}

/** The files a config names must be usable now, not at the first HTTPS request to a master. */
async function checkNamedFiles(
  c: RawConfig,
  readFile: LoadDeps['readFile'],
  keyOf: (field: keyof RawConfig) => string,
): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  const read = async (field: keyof RawConfig, file: string): Promise<string | undefined> => {
    try {
      return await readFile(file);
    } catch (err) {
      errors.push(new ConfigError(keyOf(field), `cannot read ${show(file)}: ${errMessage(err)}`));
      return undefined;
    }
  };

  if (c.CACertFile !== '') {
    const pem = await read('CACertFile', c.CACertFile);
    if (pem !== undefined && pemCertificates(pem).length === 0) {
      errors.push(new ConfigError(keyOf('CACertFile'), `${show(c.CACertFile)} holds no PEM certificate`));
    }
  }

  if (c.CertFile !== '' && c.KeyFile !== '') {
    const certPem = await read('CertFile', c.CertFile);
    const keyPem = await read('KeyFile', c.KeyFile);
    const certs = certPem === undefined ? [] : pemCertificates(certPem);
    if (certPem !== undefined && certs.length === 0) {
      errors.push(new ConfigError(keyOf('CertFile'), `${show(c.CertFile)} holds no PEM certificate`));
    }
    if (keyPem !== undefined) {
      try {
        const key = createPrivateKey(keyPem);
        if (certs.length > 0 && !certs[0].checkPrivateKey(key)) {
          errors.push(new ConfigError(keyOf('KeyFile'), `${show(c.KeyFile)} is not the key of the certificate in ${show(c.CertFile)}`));
        }
      } catch (err) {
        errors.push(new ConfigError(keyOf('KeyFile'), `${show(c.KeyFile)} holds no usable PEM private key: ${errMessage(err)}`));
      }
    }
  }

  if (c.IAMConfigFile !== '') {
    const text = await read('IAMConfigFile', c.IAMConfigFile);
    if (text !== undefined) {
      const problem = iamAccountProblem(text);
      if (problem !== undefined) errors.push(new ConfigError(keyOf('IAMConfigFile'), `${show(c.IAMConfigFile)}: ${problem}`));
    }
  }
  return errors;
}

/** Every certificate in a PEM bundle that parses; like Go's AppendCertsFromPEM, others are skipped. */
function pemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const certs: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      // not a certificate after all; a bundle may still hold good ones
    }
  }
  return certs;
}

/** The IAM service account file: {"uid", "private_key" (RSA PEM, for RS256), "login_endpoint"}. */
function iamAccountProblem(text: string): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `not valid JSON: ${errMessage(err)}`;
  }
  if (!isObject(raw)) return 'must be a JSON object {"uid", "private_key", "login_endpoint"}';
  // Go's encoding/json matches these keys case-insensitively too.
  const get = (name: string) => Object.entries(raw).find(([k]) => k.toLowerCase() === name)?.[1];
  const missing = ['uid', 'private_key', 'login_endpoint'].filter((k) => typeof get(k) !== 'string' || get(k) === '');
  if (missing.length > 0) return `${missing.map((k) => `"${k}"`).join(', ')} must be non-empty strings`;
  try {
    const key = createPrivateKey(get('private_key') as string);
    if (key.asymmetricKeyType !== 'rsa') return `"private_key" must be an RSA key (the login token is RS256), got ${key.asymmetricKeyType}`;
  } catch (err) {
    return `"private_key" is not a PEM private key: ${errMessage(err)}`;
  }
  let url: URL;
  try {
    url = new URL(get('login_endpoint') as string);
  } catch {
    return `"login_endpoint" is not a URL: ${show(get('login_endpoint'))}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '"login_endpoint" must be an http or https URL';
  return undefined;
}

