// The config as it may be shown: /v1/config and the logs never reveal the Mesos secret or a
// password in the zk URL (mesos-dns prints both), nor a TSIG key's secret. PublicConfig can only be made
// here, so a module typed to take it (the HTTP API) cannot be handed the real secrets.
import type { RawConfig } from './schema.js';
import { maskTsigKey } from './tsig-keys.js';

declare const redacted: unique symbol;

/** RawConfig with the secrets masked; made only by redactConfig. */
export type PublicConfig = Readonly<RawConfig> & { readonly [redacted]: true };

export const MASK = '******';

/** `zk://user:password@hosts/path` -> `zk://user:******@hosts/path`; URLs without a password unchanged. */
export function maskZkPassword(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return url;
  const start = schemeEnd + 3;
  const slash = url.indexOf('/', start);
  const authority = url.slice(start, slash < 0 ? undefined : slash);
  // As zk-url.ts: the credentials end at the last '@' of the authority.
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const colon = authority.indexOf(':');
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, start + colon + 1)}${MASK}${url.slice(start + at)}`;
}

const views = new WeakMap<object, PublicConfig>();

/** A copy safe to show, made once per config object (the HTTP API asks on every request). */
export function redactConfig(config: RawConfig): PublicConfig {
  let view = views.get(config);
  if (view === undefined) {
    const copy = structuredClone(config) as RawConfig & { typed?: unknown };
    // Only the mesos-dns-shaped values are shown; the typed ones repeat them.
    delete copy.typed;
    if (copy.MesosCredentials.Secret !== '') copy.MesosCredentials.Secret = MASK;
    copy.Zk = maskZkPassword(copy.Zk);
    // TSIG secrets are as good as the key: only algorithm and name are shown.
    copy.TsigKeys = copy.TsigKeys.map((k) => maskTsigKey(k, MASK));
    view = Object.freeze(copy) as PublicConfig;
    views.set(config, view);
  }
  return view;
}
