// Every error this server raises on purpose, each with a stable `code` to match on
// (undici's lib/core/errors.js habit). Errors are logged once, where they are handled.

export class MesosDnsError extends Error {
  readonly code: string = 'MDNS_ERR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config.json key that cannot be used; `key` names it as the operator wrote it. */
export class ConfigError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_CONFIG';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(key ? `config: ${key}: ${reason}` : `config: ${reason}`);
  }
}

/**
 * Several config problems, reported together so the operator fixes them in one go. `warnings`
 * are the same load's non-fatal findings (unknown keys with their "did you mean"): a misspelt
 * key is often why a required one is missing, so they are reported beside the errors.
 */
export class ConfigErrors extends MesosDnsError {
  override readonly code = 'MDNS_ERR_CONFIG';
  constructor(
    readonly errors: ConfigError[],
    readonly warnings: readonly string[] = [],
  ) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** A master could not be reached, answered badly, or sent a body we could not read. */
export class StateFetchError extends MesosDnsError {
  override readonly code: string = 'MDNS_ERR_STATE_FETCH';
}

/**
 * A state body larger than StateMaxBytes (by its Content-Length, the bytes read, or the bytes a
 * gzip body inflates to); refused before the rest of it is read.
 */
export class StateTooLargeError extends StateFetchError {
  override readonly code = 'MDNS_ERR_STATE_TOO_LARGE';
  constructor(
    url: string,
    readonly limit: number,
    what: string,
  ) {
    super(`GET ${url}: ${what} over the ${limit} bytes StateMaxBytes allows; body refused`);
  }
}

/** A state document that does not describe a usable cluster (bad JSON shape, no leader, bad pid). */
export class StateParseError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_STATE_PARSE';
}

/** No leading master is known (ZooKeeper has none, or no master answered). */
export class NoLeaderError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_NO_LEADER';
}

/** No upstream resolver applies to a name (REFUSED), or all of them failed (SERVFAIL). */
export class ForwardError extends MesosDnsError {
  override readonly code: string = 'MDNS_ERR_FORWARD';
}

export class NoResolverError extends ForwardError {
  override readonly code = 'MDNS_ERR_NO_RESOLVER';
}

/** The DNS port could not be bound (in use, no permission, bad listener address), or a DNS worker did not start. */
export class DnsListenError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_DNS_LISTEN';
}

/** A DNS message that does not parse; the server answers FORMERR when it can, else stays silent. */
export class MalformedMessageError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_MALFORMED';
}

/** The Operator API stream broke: cut mid-record, garbage, or heartbeats stopped. */
export class StreamError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_STREAM';
}

export class ZooKeeperError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_ZK';
}

/** A table generation handed to a DNS worker that does not hold together; the worker keeps its current one. */
export class TableMessageError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_TABLE_MESSAGE';
}

/** A value the HTTP API's Go-style JSON cannot encode (NaN, Infinity, undefined, a function): a bug in a handler. */
export class JsonEncodeError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_JSON_ENCODE';
}

/** The compiled DNS worker script is not where the build puts it (`npm run build` not run, or a broken install). */
export class WorkerEntryError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_WORKER_ENTRY';
}

/**
 * A static zone file that cannot be served (docs/static-zones.md): a syntax or data error at
 * `file`:`line`, or a zone refused as a whole (line 0: it overlaps the Mesos domain or another
 * file's zone). The file's previous version, if any, keeps being served unless it is refused.
 */
export class ZoneFileError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_ZONE_FILE';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

/**
 * A zone transfer in (secondary mode) that failed or was rejected; `reason` says which for the
 * metrics: the primary refused it, its TSIG did not verify, the messages did not parse or hold
 * together, the serial went backwards, or the connection failed.
 */
export class TransferInError extends MesosDnsError {
  override readonly code = 'MDNS_ERR_TRANSFER_IN';
  constructor(
    readonly reason: 'refused' | 'tsig_error' | 'malformed' | 'stale_serial' | 'error',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
