// The secondary's metrics (dns/xfr/secondary/, docs/metrics.md "Secondary"): transfers in by
// type and result, NOTIFYs received, and per followed zone its serial, the seconds since a
// primary last answered for it, and whether it expired. Main thread, on the server's registry.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SecondaryMetrics } from '../dns/xfr/secondary/secondary-source.js';

export function registerSecondaryMetrics(registry: Registry, now: () => number): SecondaryMetrics {
  const registers = [registry];
  const lastContact = new Map<string, number>();
  const transfers = new Counter({
    name: 'mesos_dns_secondary_transfers_total',
    help: 'Zone transfers in from the primaries (secondary mode), by type (axfr, ixfr: incremental, ixfr_full: the whole zone, ixfr_current: the SOA alone) and result (ok, refused, tsig_error, malformed, stale_serial, error).',
    labelNames: ['type', 'result'] as const,
    registers,
  });
  const notifies = new Counter({
    name: 'mesos_dns_secondary_notify_received_total',
    help: 'NOTIFY messages received (secondary mode), by result (accepted, refused: not from a primary, notauth: a zone not followed, tsig_error).',
    labelNames: ['result'] as const,
    registers,
  });
  const serial = new Gauge({
    name: 'mesos_dns_secondary_zone_serial',
    help: 'SOA serial of each zone copy served (secondary mode), by zone.',
    labelNames: ['zone'] as const,
    registers,
  });
  const expired = new Gauge({
    name: 'mesos_dns_secondary_zone_expired',
    help: '1 while a followed zone is past its SOA EXPIRE without contact with a primary (answered SERVFAIL), by zone.',
    labelNames: ['zone'] as const,
    registers,
  });
  new Gauge({
    name: 'mesos_dns_secondary_refresh_age_seconds',
    help: 'Seconds since a primary last answered a refresh of the zone (secondary mode), by zone.',
    labelNames: ['zone'] as const,
    registers,
    collect() {
      this.reset();
      const at = now();
      for (const [zone, t] of lastContact) this.set({ zone }, Math.max(0, at - t));
    },
  });
  return {
    transfer: (type, result) => transfers.inc({ type, result }),
    notify: (result) => notifies.inc({ result }),
    zone(apex, s, contact, isExpired) {
      if (s !== undefined) serial.set({ zone: apex }, s);
      if (contact !== undefined) lastContact.set(apex, contact);
      expired.set({ zone: apex }, isExpired ? 1 : 0);
    },
  };
}
