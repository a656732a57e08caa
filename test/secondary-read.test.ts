// The secondary's pure steps, as tables of cases: a transfer's records -> whole zone / changes /
// current, with where it ends (read-transfer.ts, RFC 5936 §2.2, RFC 1995 §4), and a zone copy
// with IXFR changes applied or refused (zone-copy.ts).
import { describe, expect, it } from '@jest/globals';
import { QTYPE } from '../src/dns/wire/message.js';
import { TransferAssembler, type WireRecord } from '../src/dns/xfr/secondary/read-transfer.js';
import { applyDeltas, copyOfZone } from '../src/dns/xfr/secondary/zone-copy.js';
import { TransferInError } from '../src/errors.js';

type Soa = WireRecord & { data: Extract<WireRecord['data'], { type: typeof QTYPE.SOA }> };
const soa = (serial: number, owner = 'mesos.'): Soa => ({ owner, ttl: 60, data: { type: QTYPE.SOA, mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial, refresh: 60, retry: 600, expire: 86400, minimum: 60 } });
const a = (owner: string, address: string): WireRecord => ({ owner, ttl: 60, data: { type: QTYPE.A, address } });

function run(ixfr: boolean, messages: WireRecord[][]): { done: boolean[]; result?: ReturnType<TransferAssembler['result']>; error?: string } {
  const t = new TransferAssembler('mesos.', ixfr);
  const done: boolean[] = [];
  try {
    for (const m of messages) done.push(t.add(m));
    return { done, result: t.result() };
  } catch (err) {
    return { done, error: (err as TransferInError).reason };
  }
}

describe('TransferAssembler', () => {
  it.each([
    ['AXFR in one message', false, [[soa(5), a('web.mesos.', '10.0.0.1'), soa(5)]], [true], 'full'],
    ['AXFR over two messages', false, [[soa(5), a('web.mesos.', '10.0.0.1')], [a('api.mesos.', '10.0.0.2'), soa(5)]], [false, true], 'full'],
    ['IXFR: the SOA alone', true, [[soa(5)]], [true], 'current'],
    ['IXFR answered AXFR-style', true, [[soa(5), a('web.mesos.', '10.0.0.1'), soa(5)]], [true], 'full'],
    ['IXFR: two changes', true, [[soa(7), soa(5), a('web.mesos.', '10.0.0.1'), soa(6), a('web.mesos.', '10.0.0.2'), soa(6), soa(7), a('api.mesos.', '10.0.0.3'), soa(7)]], [true], 'incremental'],
    ['IXFR: changes over messages', true, [[soa(6), soa(5)], [a('web.mesos.', '10.0.0.1'), soa(6)], [soa(6)]], [false, false, true], 'incremental'],
  ] as const)('%s', (_what, ixfr, messages, done, kind) => {
    const r = run(ixfr, messages as unknown as WireRecord[][]);
    expect(r.error).toBeUndefined();
    expect(r.done).toEqual(done);
    expect(r.result?.kind).toBe(kind);
  });

  it('splits IXFR changes into removed and added, oldest first', () => {
    const r = run(true, [[soa(7), soa(5), a('web.mesos.', '10.0.0.1'), soa(6), a('web.mesos.', '10.0.0.2'), soa(6), soa(7), a('api.mesos.', '10.0.0.3'), soa(7)]]);
    expect(r.result).toMatchObject({
      kind: 'incremental',
      deltas: [
        { from: 5, to: 6, removed: [a('web.mesos.', '10.0.0.1')], added: [a('web.mesos.', '10.0.0.2')] },
        { from: 6, to: 7, removed: [], added: [a('api.mesos.', '10.0.0.3')] },
      ],
    });
  });

  it.each([
    ['a first record that is not the SOA', false, [[a('web.mesos.', '10.0.0.1'), soa(5)]]],
    ['the SOA of another zone first', false, [[soa(5, 'other.'), soa(5, 'other.')]]],
    ['a whole zone closed by another serial', false, [[soa(5), a('web.mesos.', '10.0.0.1'), soa(6)]]],
    ['records after the closing SOA', false, [[soa(5), soa(5), a('web.mesos.', '10.0.0.1')]]],
    ['a transfer that never closes', false, [[soa(5), a('web.mesos.', '10.0.0.1')]]],
  ] as const)('refuses %s as malformed', (_what, ixfr, messages) => {
    expect(run(ixfr, messages as unknown as WireRecord[][]).error).toBe('malformed');
  });
});

describe('applyDeltas', () => {
  const base = copyOfZone('mesos.', soa(5), [a('web.mesos.', '10.0.0.1'), a('outside.example.', '192.0.2.1')]);

  it('keeps records inside the zone only, and counts the others', () => {
    expect([...base.owners.keys()]).toEqual(['web.mesos.']);
    expect(base.outside).toBe(1);
  });

  it('applies a chain of changes to a new copy, leaving the old one as it was', () => {
    const next = applyDeltas(base, soa(7), [
      { from: 5, to: 6, removed: [a('web.mesos.', '10.0.0.1')], added: [a('web.mesos.', '10.0.0.2')] },
      { from: 6, to: 7, removed: [], added: [a('api.mesos.', '10.0.0.3')] },
    ]);
    expect(next.soa.serial).toBe(7);
    expect([...next.owners]).toEqual([['web.mesos.', [a('web.mesos.', '10.0.0.2').data]], ['api.mesos.', [a('api.mesos.', '10.0.0.3').data]]]);
    expect(base.owners.get('web.mesos.')).toEqual([a('web.mesos.', '10.0.0.1').data]);
  });

  it('holds a record once: repeated in a whole zone, or added again by IXFR', () => {
    const twice = copyOfZone('mesos.', soa(5), [a('web.mesos.', '10.0.0.1'), a('web.mesos.', '10.0.0.1')]);
    expect(twice.owners.get('web.mesos.')).toHaveLength(1);
    expect(applyDeltas(twice, soa(6), [{ from: 5, to: 6, removed: [], added: [a('web.mesos.', '10.0.0.1')] }]).owners.get('web.mesos.')).toHaveLength(1);
  });

  it('drops an owner whose last record is removed', () => {
    expect(applyDeltas(base, soa(6), [{ from: 5, to: 6, removed: [a('web.mesos.', '10.0.0.1')], added: [] }]).owners.size).toBe(0);
  });

  it.each([
    ['a change from another serial', soa(7), [{ from: 6, to: 7, removed: [], added: [] }], 'malformed'],
    ['a record removed that the copy lacks', soa(6), [{ from: 5, to: 6, removed: [a('web.mesos.', '10.9.9.9')], added: [] }], 'malformed'],
    ['changes ending short of the zone serial', soa(7), [{ from: 5, to: 6, removed: [], added: [] }], 'malformed'],
    ['a change going backwards (RFC 1982)', soa(4), [{ from: 5, to: 4, removed: [], added: [] }], 'stale_serial'],
  ] as const)('refuses %s', (_what, to, deltas, reason) => {
    let caught: unknown;
    try {
      applyDeltas(base, to, deltas as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TransferInError);
    expect((caught as TransferInError).reason).toBe(reason);
  });
});
