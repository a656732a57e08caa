// A records of a running test server, asked over DNS and over /v1/hosts, for the integration
// tests that compare addresses (addresses, dcos-names, malformed-elements,
// stream-snapshot-reader); the retrying resolver and dig for tests that ask many names while the
// machine running the tests may be loaded.
import { Resolver } from 'node:dns/promises';
import type { TestServer } from './server.js';

/** Node's resolver on the server, with retries: the machine running the tests may be loaded. */
export function resolverOf(server: TestServer): Resolver {
  const r = new Resolver({ timeout: 3000, tries: 3 });
  r.setServers([`127.0.0.1:${server.dnsPort}`]);
  return r;
}

/** dig, with retries for the same reason (later options override the helper's). */
export const dig = (server: TestServer, ...args: string[]): Promise<string> => server.dig(...args, '+tries=3', '+time=3');

/** The lines of `dig +noall +answer ARGS` (as the docs show them), each line's whitespace made one space. */
export async function digAnswer(server: TestServer, ...args: string[]): Promise<string[]> {
  const out = await dig(server, '+noall', '+answer', ...args);
  return out.split('\n').filter((l) => l !== '').map((l) => l.split(/\s+/).join(' '));
}

/**
 * The A records of `name` from `resolver`, sorted; [] when its error code is one of `noAddress`
 * (by default a name that does not exist or has no A records).
 */
export async function aRecords(resolver: Resolver, name: string, noAddress: readonly string[] = ['ENOTFOUND', 'ENODATA']): Promise<string[]> {
  try {
    return (await resolver.resolve4(name)).sort();
  } catch (err) {
    if (noAddress.includes((err as { code?: string }).code ?? '')) return [];
    throw err;
  }
}

/** aRecords from the server's retrying resolver. */
export const dnsA = (server: TestServer, name: string, noAddress?: readonly string[]): Promise<string[]> => aRecords(resolverOf(server), name, noAddress);

/** The non-empty addresses /v1/hosts/<name> gives, sorted. */
export async function httpA(server: TestServer, name: string): Promise<string[]> {
  const rows = JSON.parse((await server.http(`/v1/hosts/${name}`)).body) as { ip: string }[];
  return rows.map((r) => r.ip).filter((ip) => ip !== '').sort();
}
