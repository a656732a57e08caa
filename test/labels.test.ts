import { describe, expect, it } from '@jest/globals';
import { cachedLabelFunc, domainFrag, labelFunc, rfc1123Label, rfc952Label } from '../src/records/labels.js';
import { taskHash } from '../src/records/task-hash.js';

// Cases that hold for both specs (mesos-dns labels_test.go testFunc).
const COMMON: [string, string][] = [
  ['', ''],
  ['a', 'a'],
  ['-', ''],
  ['a---', 'a'],
  ['---a---', 'a'],
  ['---a---b', 'a---b'],
  ['a.b.c.d.e', 'a-b-c-d-e'],
  ['a.c.d_de.', 'a-c-d-de'],
  ['abc123', 'abc123'],
  ['-abc123', 'abc123'],
  ['abc123-', 'abc123'],
  ['abc-123', 'abc-123'],
  ['abc--123', 'abc--123'],
  ['r29f.dev.angrypigs', 'r29f-dev-angrypigs'],
  ['hello----------------------------------------------------------f', 'hellof'],
];

describe('rfc1123Label', () => {
  it.each<[string, string]>([
    ...COMMON,
    ['4abc123', '4abc123'], // leading digits are fine under RFC 1123
    ['-4abc123', '4abc123'],
    ['89fdgsf---gs7-fgs--d7fddg-123', '89fdgsf---gs7-fgs--d7fddg-123'],
    ['89fdgsf---gs7-fgs--d7fddg---123', '89fdgsf---gs7-fgs--d7fddg---123'],
    ['89fdgsf---gs7-fgs--d7fddg-', '89fdgsf---gs7-fgs--d7fddg'],
    ['fd%gsf---gs7-f$gs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg-123'],
    // 63-character cut whose head ends in "-": stripped, then refilled from after the cut
    ['fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123', 'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891'],
    ['$$fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-123', 'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891'],
    ['%%fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789---123', 'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891'],
    ['##fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-', 'fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789'],
    ['hello--------------------------------------------------------f', 'hello--------------------------------------------------------f'],
    // mesos-dns's documented examples
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixedcase-2-0-1'],
    ['no pid', 'nopid'],
    ['liquor.store', 'liquor-store'],
    ['apiserver.myservice', 'apiserver-myservice'],
    ['Dns_Port', 'dns-port'],
    ['TCP', 'tcp'],
    // non-ASCII is deleted, not transliterated; so are astral characters (both UTF-16 halves)
    ['café-straße', 'caf-strae'],
    ['ünïcödé', 'ncd'],
    ['app😀1', 'app1'],
    ['Ａpp', 'pp'], // full-width A is not ASCII
  ])('%j -> %j', (input, want) => {
    expect(rfc1123Label(input)).toBe(want);
  });
});

describe('rfc952Label', () => {
  it.each<[string, string]>([
    ...COMMON,
    ['4abc123', 'abc123'], // leading digits are stripped under RFC 952
    ['-4abc123', 'abc123'],
    ['0-1-2-x', 'x'],
    ['123', ''],
    ['fd%gsf---gs7-f$gs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg1'],
    ['89fdgsf---gs7-fgs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg1'],
    ['89fdgsf---gs7-fgs--d7fddg---123', 'fdgsf---gs7-fgs--d7fddg1'],
    ['89fdgsf---gs7-fgs--d7fddg-', 'fdgsf---gs7-fgs--d7fddg'],
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixe'],
    ['chronos with a space AND----------MIXED--', 'chronoswithaspaceandmixe'],
    ['hello--------------------------------------------------------f', 'hellof'],
    ['abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwx'], // 24-character cut
  ])('%j -> %j', (input, want) => {
    expect(rfc952Label(input)).toBe(want);
  });
});

describe('domainFrag', () => {
  const common: [string, string][] = [
    ['', ''],
    ['.', ''],
    ['..', ''],
    ['...', ''],
    ['a', 'a'],
    ['abc', 'abc'],
    ['abc.', 'abc'],
    ['.abc', 'abc'],
    ['a.c', 'a.c'],
    ['.a.c', 'a.c'],
    ['a.c.', 'a.c'],
    ['a..c', 'a.c'],
    ['ab.cd.efg', 'ab.cd.efg'],
    ['a..c.e', 'a.c.e'],
    ['a.c..e', 'a.c.e'],
    ['host.com', 'host.com'],
    ['space space.com', 'spacespace.com'],
    ['blah-dash.com', 'blah-dash.com'],
    ['not$1234.com', 'not1234.com'],
    ['(@ host . com', 'host.com'],
    ['MiXeDcase.CoM', 'mixedcase.com'],
    ['My.Fw', 'my.fw'],
    ['marathon.prod', 'marathon.prod'],
  ];
  it.each<[string, string]>([
    ...common,
    ['pod_123$abc.marathon-0.6.0-dev.mesos', 'pod-123abc.marathon-0.6.0-dev.mesos'],
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixedcase-2.0.1'],
    ['no pid', 'nopid'],
  ])('RFC1123 %j -> %j', (input, want) => {
    expect(domainFrag(input, rfc1123Label)).toBe(want);
  });
  it.each<[string, string]>([
    ...common,
    // parts that are only digits vanish under RFC 952, and "0-dev" loses its leading digit
    ['pod_123$abc.marathon-0.6.0-dev.mesos', 'pod-123abc.marathon-0.dev.mesos'],
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixe'],
  ])('RFC952 %j -> %j', (input, want) => {
    expect(domainFrag(input, rfc952Label)).toBe(want);
  });
});

describe('labelFunc', () => {
  it('is RFC 1123 by default and RFC 952 with EnforceRFC952', () => {
    expect(labelFunc(false)('4abc')).toBe('4abc');
    expect(labelFunc(true)('4abc')).toBe('abc');
  });
});

describe('cachedLabelFunc', () => {
  // Names it returns as they are without sanitising, and names just outside that.
  it.each<[string, boolean, string]>([
    ['', false, ''],
    ['nginx', false, 'nginx'],
    ['web-000042', false, 'web-000042'],
    ['4abc', false, '4abc'],
    ['4abc', true, 'abc'],
    ['-abc', false, 'abc'],
    ['abc-', false, 'abc'],
    ['Abc', false, 'abc'],
    ['a.b', false, 'a-b'],
    ['a'.repeat(63), false, 'a'.repeat(63)],
    ['a'.repeat(64), false, 'a'.repeat(63)],
    ['a'.repeat(24), true, 'a'.repeat(24)],
    ['a'.repeat(25), true, 'a'.repeat(24)],
    ['a-'.repeat(12) + 'b', true, 'a-a-a-a-a-a-a-a-a-a-a-ab'],
    ['x\u00e9', false, 'x'],
  ])('%j (RFC 952: %s) -> %j', (name, rfc952, want) => {
    const label = cachedLabelFunc(rfc952);
    expect(label(name)).toBe(want);
    expect(label(name)).toBe(want);
    expect(labelFunc(rfc952)(name)).toBe(want);
  });
});

describe('label properties (deterministic pseudo-random names)', () => {
  // A small LCG so the inputs are the same on every run.
  let seed = 34553613;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const alphabet = 'aZ09-._ $@éü😀\u0000-----...';
  const names = Array.from({ length: 2000 }, () => {
    const len = next() % 90;
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[next() % alphabet.length];
    return s;
  });

  it('RFC 1123: charset [a-z0-9-], no leading dash, at most 63 characters', () => {
    for (const name of names) {
      const l = rfc1123Label(name);
      expect(l).toMatch(/^(?:[a-z0-9][a-z0-9-]{0,62})?$/);
    }
  });

  it('RFC 952: charset [a-z0-9-], starts with a letter, at most 24 characters', () => {
    for (const name of names) {
      const l = rfc952Label(name);
      expect(l).toMatch(/^(?:[a-z][a-z0-9-]{0,23})?$/);
    }
  });

  it('cachedLabelFunc gives what labelFunc gives, first time and repeated', () => {
    for (const rfc952 of [false, true]) {
      const cached = cachedLabelFunc(rfc952);
      const plain = labelFunc(rfc952);
      for (const name of [...names, ...names]) expect([name, cached(name)]).toEqual([name, plain(name)]);
    }
  });

  it('domainFrag labels never contain empty parts', () => {
    for (const name of names) {
      const frag = domainFrag(name, rfc1123Label);
      expect(frag.split('.').every((p) => p !== '') || frag === '').toBe(true);
    }
  });
});

describe('taskHash', () => {
  it.each<[string, string]>([
    ['test', 'iffe9'], // mesos-dns TestHashString
    // task ids of the fixture, with the hashes mesos-dns put into its canonical names
    ['nginx.1bc32344-3dda-11e4-a088-c20493233aa5', '6ud99'],
    ['liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5', '4dfjd'],
    ['liquor-store.b71166c1-562f-11e4-a088-c20493233aa5', 'zasmd'],
    ['car-store.43758382-562f-11e4-a088-c20493233aa5', 'zinaz'],
    ['chronos.49b91a9a-3dda-11e4-a088-c20493233aa5', 'rx8q6'],
    ['reviewbot.8c9b3434-615a-11e4-a088-c20493233aa5', '8sq89'],
    ['some-box.b8db9f73-562f-11e4-a088-c20493233aa5', 'h3dyr'],
    ['toy-store.b8db9f73-562f-11e4-a088-c20493233aa5', 'go588'],
  ])('%j -> %j', (id, want) => {
    expect(taskHash(id)).toBe(want);
  });

  it('is five z-base-32 characters for any id, including the empty and non-ASCII ones', () => {
    for (const id of ['', 'ü', '😀', 'x'.repeat(10000)]) expect(taskHash(id)).toMatch(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{5}$/);
  });
});
