// "Did you mean" for unknown config keys (src/config/did-you-mean.ts): a table of typos and keys that
// must get no suggestion, against the real list of config fields.
import { describe, expect, it } from '@jest/globals';
import { FIELDS } from '../src/config/schema.js';
import { editDistance, suggestKey, unknownKeyWarning } from '../src/config/did-you-mean.js';
import { parseConfig } from '../src/config/validate.js';


describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'abd', 1],
    ['abc', 'acb', 1], // a swap of neighbours is one edit
    ['abc', 'ab', 1],
    ['ab', 'abc', 1],
    ['kitten', 'sitting', 3],
  ])('%s -> %s: %d', (a, b, d) => expect(editDistance(a, b)).toBe(d));
});

describe('suggestKey', () => {
  it.each([
    ['refreshSecond', 'refreshSeconds'],
    ['refreshsecond', 'refreshSeconds'],
    ['REFRESHSECONDS_', 'refreshSeconds'],
    ['resolver', 'resolvers'],
    ['reslovers', 'resolvers'], // a swap
    ['mastres', 'masters'],
    ['prot', 'port'],
    ['ttll', 'ttl'],
    ['zoneResolver', 'zoneResolvers'],
    ['SOAMName', 'SOAMname'], // case alone is a match, not a typo: but if asked, the documented spelling
    ['httplistner', 'HTTPListener'],
    ['refresh', 'refreshSeconds'], // a prefix
    ['forwardCache', 'ForwardCacheSize'],
    ['stateTimeout', 'stateTimeoutSeconds'],
  ])('%s -> %s', (typo, want) => expect(suggestKey(typo, FIELDS)).toBe(want));

  it.each(['ns', 'x', 'foo', 'mesosCredentials.token', 'banana', 'zkk.y', 'colour'])('%s: no suggestion', (key) => {
    expect(suggestKey(key, FIELDS)).toBeUndefined();
  });

  it('words the warning with the suggestion, or without one', () => {
    expect(unknownKeyWarning('refreshSecond', FIELDS)).toBe('unknown key "refreshSecond" ignored; did you mean "refreshSeconds"?');
    expect(unknownKeyWarning('ns', FIELDS)).toBe('unknown key "ns" ignored');
  });

  it('is what the config loader warns', () => {
    const { warnings } = parseConfig({ refreshSecond: 5, masters: ['10.0.0.1:5050'] }, { file: '/etc/mesos-dns/config.json', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
    expect(warnings).toContain('unknown key "refreshSecond" ignored; did you mean "refreshSeconds"?');
  });
});
