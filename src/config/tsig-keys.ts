// TSIG keys as config.json gives them (TsigKeys): "algorithm:name:secret", the form of dig's -y
// and kdig's -y, so a key can be copied between the config and the tools. Pure; parsed once per
// load (typed.ts), checked by validate.ts.

/** The one algorithm offered (RFC 8945 §6: HMAC-SHA256 is mandatory to implement). */
export const TSIG_ALGORITHM = 'hmac-sha256.';

export interface TsigKey {
  /** Key name, absolute, lower-case ("transfer."): compared with a request's key name lower-cased. */
  readonly name: string;
  /** Absolute algorithm name, always TSIG_ALGORITHM. */
  readonly algorithm: string;
  /** The shared secret's bytes (plain data, so the config still crosses to worker threads). */
  readonly secret: Uint8Array;
}

const NAME_RE = /^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** One TsigKeys entry, or why it is not one. */
export function parseTsigKey(text: string): { value: TsigKey; reason?: undefined } | { value?: undefined; reason: string } {
  const parts = text.split(':');
  if (parts.length !== 3) return { reason: 'must be "hmac-sha256:name:base64secret"' };
  const [algorithm, name, secret] = parts;
  if (`${algorithm.toLowerCase().replace(/\.$/, '')}.` !== TSIG_ALGORITHM) return { reason: `algorithm ${JSON.stringify(algorithm)} is not supported (only hmac-sha256)` };
  if (!NAME_RE.test(name)) return { reason: `key name ${JSON.stringify(name)} is not a valid domain name` };
  if (!BASE64_RE.test(secret) || secret.length % 4 !== 0) return { reason: `the secret of key ${JSON.stringify(name)} is not base64` };
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.length === 0) return { reason: `the secret of key ${JSON.stringify(name)} is empty` };
  return { value: Object.freeze({ name: keyName(name), algorithm: TSIG_ALGORITHM, secret: new Uint8Array(bytes) }) };
}

/** A key name as keys are compared: lower-case, absolute. */
export function keyName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** "hmac-sha256:name:******": the entry with its secret masked (redact.ts). */
export function maskTsigKey(text: string, mask: string): string {
  const last = text.lastIndexOf(':');
  return last < 0 ? mask : `${text.slice(0, last + 1)}${mask}`;
}
