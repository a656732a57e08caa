// Authorization towards Mesos masters, as mesos-dns does it (records/state/client):
//  - basic: `Authorization: Basic base64(principal:secret)`
//  - iam:   sign a JWT (RS256) {uid, exp: now+1h} with the service account's private key, POST
//           {uid, token} to login_endpoint, send `Authorization: token=<token>`.
// Unlike mesos-dns (a login per state request) the IAM token is cached until shortly before expiry.
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type Dispatcher } from 'undici';
import type { Config } from '../config/typed.js';
import { StateFetchError } from '../errors.js';

/** Returns the Authorization header value, or undefined when no authentication is configured. */
export type Authorizer = () => Promise<string | undefined>;

export interface IamAccount {
  uid: string;
  private_key: string;
  login_endpoint: string;
}

export function createAuthorizer(config: Config, dispatcher: Dispatcher, now: () => number = () => Date.now() / 1000): Authorizer {
  switch (config.MesosAuthentication) {
    case 'basic': {
      const value = `Basic ${Buffer.from(`${config.MesosCredentials.Principal}:${config.MesosCredentials.Secret}`).toString('base64')}`;
      return async () => value;
    }
    case 'iam': {
      const account = JSON.parse(readFileSync(config.IAMConfigFile, 'utf8')) as IamAccount;
      return iamAuthorizer(account, dispatcher, now, config.StateTimeoutSeconds * 1000);
    }
    default:
      return async () => undefined;
  }
}

const TOKEN_LIFETIME_S = 3600;

export function iamAuthorizer(account: IamAccount, dispatcher: Dispatcher, now: () => number, timeoutMs: number): Authorizer {
  let cached: { header: string; expires: number } | undefined;
  return async () => {
    const t = now();
    // Renew five minutes early so a token never expires in flight.
    if (cached && cached.expires - 300 > t) return cached.header;
    const token = signJwtRS256({ uid: account.uid, exp: Math.floor(t) + TOKEN_LIFETIME_S }, account.private_key);
    const res = await request(account.login_endpoint, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uid: account.uid, token }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new StateFetchError(`IAM login at ${account.login_endpoint} answered ${res.statusCode}`);
    let login: unknown;
    try {
      login = JSON.parse(text);
    } catch (err) {
      throw new StateFetchError(`IAM login answer is not JSON`, { cause: err });
    }
    const got = (login as { token?: unknown }).token;
    if (typeof got !== 'string' || got === '') throw new StateFetchError('IAM login answer has no token');
    cached = { header: `token=${got}`, expires: Math.floor(t) + TOKEN_LIFETIME_S };
    return cached.header;
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwtRS256(claims: Record<string, unknown>, privateKeyPem: string): string {
  const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify(claims));
  const signer = createSign('RSA-SHA256');
  signer.update(`${head}.${body}`);
  return `${head}.${body}.${base64url(signer.sign(privateKeyPem))}`;
}
