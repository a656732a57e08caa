// The one errors module: every class it exports is a MesosDnsError with a stable `code` to
// match on and its own name, so a new error cannot be added without both.
import { describe, expect, it } from '@jest/globals';
import * as errors from '../src/errors.js';

type ErrorClass = new (...args: never[]) => errors.MesosDnsError;
const classes = (Object.entries(errors) as [string, unknown][]).filter((entry): entry is [string, ErrorClass] => typeof entry[1] === 'function');

/** Constructor arguments for the classes whose constructor is not (message, options). */
function make(name: string, cls: ErrorClass): errors.MesosDnsError {
  const ctor = cls as unknown as new (...args: unknown[]) => errors.MesosDnsError;
  if (name === 'ConfigError') return new ctor('Port', 'reason');
  if (name === 'ConfigErrors') return new ctor([new errors.ConfigError('Port', 'reason')]);
  return new ctor('message');
}

describe('src/errors.ts', () => {
  it('exports the error classes the server raises', () => {
    expect(classes.map(([name]) => name)).toEqual(expect.arrayContaining(['DnsListenError', 'JsonEncodeError', 'WorkerEntryError', 'MalformedMessageError']));
  });

  it.each(classes)('%s has a stable MDNS_ERR_ code and its own name', (name, cls) => {
    const err = make(name, cls);
    expect(err).toBeInstanceOf(errors.MesosDnsError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toMatch(/^MDNS_ERR(_[A-Z_]+)?$/);
    expect(err.name).toBe(name);
  });

  it('gives every subclass a code of its own, except config errors reported together', () => {
    const codes = classes.filter(([name]) => name !== 'MesosDnsError' && name !== 'ConfigErrors').map(([name, cls]) => make(name, cls).code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
