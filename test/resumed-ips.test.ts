// The resumed builder's IPs (records/resumed-ips.ts): a finished table's IPs keep their ids and
// texts, read from the table's blob; new ones come after them, each once.
import { describe, expect, it } from '@jest/globals';
import { packStrings } from '../src/records/packed-table.js';
import { ResumedIps } from '../src/records/resumed-ips.js';
import { TableBuilder } from '../src/records/table-builder.js';

describe('ResumedIps', () => {
  const base = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `fd00::${i.toString(16)}` : `10.${i >> 8}.${i & 255}.1`));

  it('finds every IP of the table under its id, and reads it back', () => {
    const ips = new ResumedIps(packStrings(base));
    base.forEach((text, id) => {
      expect(ips.id(text)).toBe(id);
      expect(ips.text(id)).toBe(text);
    });
  });

  it('gives a new IP the next id once, and lists all in id order', () => {
    const ips = new ResumedIps(packStrings(base));
    // Texts that share a hash bucket or a length with the base's must not be taken for them.
    for (const text of ['10.0.0.2', '10.0.0.1 ', '10.0.0.10', '172.16.0.1']) {
      const id = ips.id(text);
      expect(id).toBeGreaterThanOrEqual(base.length);
      expect(ips.id(text)).toBe(id);
      expect(ips.text(id)).toBe(text);
    }
    expect(ips.all()).toEqual([...base, '10.0.0.2', '10.0.0.1 ', '10.0.0.10', '172.16.0.1']);
  });

  it('is what TableBuilder.resume interns into: the base table\'s ids, then new ones', () => {
    const b = new TableBuilder(0, 1);
    const owner = b.name('a.mesos.');
    for (const text of base) b.addA(owner, b.ip(text));
    const { packed } = b.finish({ zone: 'mesos.', srvPriority: 0, srvWeight: 1 });
    const resumed = TableBuilder.resume(packed, 1);
    expect(resumed.ip(base[1234])).toBe(b.ip(base[1234]));
    expect(resumed.ipText(1234)).toBe(base[1234]);
    const added = resumed.ip('192.0.2.7');
    expect(added).toBe(base.length);
    expect(resumed.ipText(added)).toBe('192.0.2.7');
  });
});
