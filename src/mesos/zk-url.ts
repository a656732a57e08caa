// Parses mesos-dns's `zk` config value, `zk://[user:pass@]h1:p1,h2:p2/path`, into what the
// ZooKeeper client needs: a server list and the znode whose children the masters create.
// mesos-dns (via mesos-go) accepts a `user:pass@` part and then never authenticates with it;
// we accept and drop it the same way, so existing configs keep working.
import { ConfigError } from '../errors.js';

export interface ZkUrl {
  /** "h1:p1,h2:p2", the form node-zookeeper-client takes; a missing port becomes 2181. */
  servers: string;
  /** Absolute znode path without a trailing slash, e.g. "/mesos". */
  path: string;
  /** The URL carried `user:pass@`, which is ignored (config validation warns about it). */
  hasCredentials: boolean;
}

/** ZooKeeper's client port when a host names none (go-zookeeper and the Java client do the same). */
const DEFAULT_ZK_PORT = 2181;

const HOST_LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

export function parseZkUrl(url: string): ZkUrl {
  const fail = (reason: string): never => {
    throw new ConfigError('zk', reason);
  };
  const trimmed = url.trim();
  const schemeEnd = trimmed.indexOf('://');
  if (schemeEnd < 0) fail(`"${url}" is not a zk:// URL`);
  const scheme = trimmed.slice(0, schemeEnd).toLowerCase();
  if (scheme === 'file') fail('file:// ZooKeeper specs are not supported; write the zk:// URL itself');
  if (scheme !== 'zk') fail(`unsupported scheme "${scheme}://", want zk://`);

  const rest = trimmed.slice(schemeEnd + 3);
  if (/[?#]/.test(rest)) fail('a query or fragment is not allowed in the zk URL');
  const slash = rest.indexOf('/');
  if (slash < 0) fail('the znode path is missing (e.g. zk://host:2181/mesos)');

  // Credentials end at the last '@' of the authority; they are parsed and ignored, as in mesos-dns.
  let authority = rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  const hasCredentials = at >= 0;
  if (hasCredentials) authority = authority.slice(at + 1);

  const servers = authority.split(',').map((entry) => parseServer(entry, fail));
  const path = parsePath(rest.slice(slash), fail);
  return { servers: servers.join(','), path, hasCredentials };
}

function parseServer(entry: string, fail: (reason: string) => never): string {
  const server = entry.trim();
  if (server === '') return fail('empty ZooKeeper host in the server list');
  // node-zookeeper-client splits each server on ':', so a bracketed IPv6 literal cannot reach it.
  if (server.startsWith('[')) return fail(`IPv6 literal "${server}" is not supported; use a hostname`);
  const parts = server.split(':');
  if (parts.length > 2) return fail(`bad ZooKeeper server "${server}", want host:port`);
  const host = parts[0];
  if (!host.split('.').every((label) => HOST_LABEL.test(label))) return fail(`bad ZooKeeper host "${host}"`);
  if (parts.length === 1) return `${host}:${DEFAULT_ZK_PORT}`;
  const portText = parts[1];
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    return fail(`bad port "${portText}" for ZooKeeper host "${host}", want 1-65535`);
  }
  return `${host}:${port}`;
}

/** ZooKeeper path rules: absolute, no empty, "." or ".." segments; one trailing slash is forgiven. */
function parsePath(raw: string, fail: (reason: string) => never): string {
  const path = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (path === '/') return fail('the znode path must name a node below "/" (e.g. /mesos)');
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || /[\u0000-\u001f\u007f]/.test(segment)) {
      return fail(`bad znode path "${raw}"`);
    }
  }
  return path;
}
