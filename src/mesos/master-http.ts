// The HTTP client side of talking to Mesos masters: one undici Agent carrying the TLS settings,
// the scheme, and the Authorization header provider. Shared by the /master/state poller and the
// Operator API stream so both reach masters the same way.
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import type { Config } from '../config/typed.js';
import { createAuthorizer, type Authorizer } from './auth.js';
import type { Logger } from '../log.js';
import { joinHostPort, type HostPort } from '../net/address.js';

export interface MasterHttp {
  scheme: 'http' | 'https';
  dispatcher: Dispatcher;
  authorize: Authorizer;
  /** stateTimeoutSeconds in ms: bounds one whole fetch (headers and body). */
  timeoutMs: number;
  /** StateMaxBytes: the largest /master/state body read, decompressed. */
  maxStateBytes: number;
  close(): Promise<void>;
}

export function createMasterHttp(config: Config, logger: Logger): MasterHttp {
  const https = config.MesosHTTPSOn;
  const connect: Record<string, unknown> = {};
  if (https) {
    if (config.CACertFile) connect.ca = readFileSync(config.CACertFile);
    if (config.CertFile) connect.cert = readFileSync(config.CertFile);
    if (config.KeyFile) connect.key = readFileSync(config.KeyFile);
    // mesos-dns skips verification whenever no CA file is given; we verify against the system
    // CAs unless the operator explicitly asks otherwise, and say so loudly.
    if (config.MesosHTTPSInsecure) {
      connect.rejectUnauthorized = false;
      logger.child({ component: 'master-http' }).warn('TLS certificate verification towards Mesos masters is DISABLED (MesosHTTPSInsecure)');
    }
  }
  const agent = new Agent({
    connect,
    // One request per connection is what mesos-dns does (Connection: close); we keep connections
    // alive for polling but cap idle time so a failed-over master's sockets go away.
    keepAliveTimeout: 10_000,
    headersTimeout: config.StateTimeoutSeconds * 1000,
    bodyTimeout: 0, // the Operator API stream is long-lived; fetches bound themselves with a signal
  });
  return {
    scheme: https ? 'https' : 'http',
    dispatcher: agent,
    authorize: createAuthorizer(config, agent),
    timeoutMs: config.StateTimeoutSeconds * 1000,
    maxStateBytes: config.StateMaxBytes,
    // destroy, not close: close() waits for requests in flight, and a master that hangs would
    // hold a shutdown or a SIGHUP source switch for up to stateTimeoutSeconds (300 s by default).
    // The source is stopped first, so whatever those requests would have brought is unwanted.
    close: () => agent.destroy(),
  };
}

/** A master's URL origin, bracketing IPv6 literals. */
export function masterOrigin(scheme: 'http' | 'https', master: HostPort): string {
  return `${scheme}://${joinHostPort(master)}`;
}
