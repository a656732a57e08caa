import { describe, expect, it } from '@jest/globals';
import { parseCli, usage, type CliOptions } from '../src/cli.js';
import { ConfigError } from '../src/errors.js';

const NONE: CliOptions = { configPath: undefined, version: false, verbosity: 0, help: false };

describe('parseCli accepts mesos-dns command lines (Go flag + glog rules)', () => {
  const cases: [string[], Partial<CliOptions>][] = [
    [[], {}],
    [['-config=/etc/mesos-dns/config.json'], { configPath: '/etc/mesos-dns/config.json' }],
    [['-config', 'a.json'], { configPath: 'a.json' }],
    [['--config', 'a.json'], { configPath: 'a.json' }],
    [['--config=a.json'], { configPath: 'a.json' }],
    // a value flag takes the next argument whatever it looks like, as Go's flag package does
    [['-config', '-odd.json'], { configPath: '-odd.json' }],
    [['-config=a=b.json'], { configPath: 'a=b.json' }],
    // the last occurrence wins
    [['-config=a.json', '-config=b.json'], { configPath: 'b.json' }],
    [['-version'], { version: true }],
    [['--version'], { version: true }],
    [['-version=false'], { version: false }],
    [['-version=T'], { version: true }],
    [['-v=1'], { verbosity: 1 }],
    [['-v', '2'], { verbosity: 2 }],
    [['-v=2'], { verbosity: 2 }],
    [['--v=2'], { verbosity: 2 }],
    [['-help'], { help: true }],
    [['-h'], { help: true }],
    [['--help'], { help: true }],
    [
      ['-logtostderr', '-alsologtostderr=true', '-stderrthreshold=ERROR', '-log_dir=/tmp', '-vmodule=detector=2', '-config=c.json'],
      { configPath: 'c.json' },
    ],
    [['-stderrthreshold', 'INFO', '-log_dir', '/var/log', '-v=1'], { verbosity: 1 }],
    [['-log_backtrace_at=gofile.go:123'], {}],
  ];
  it.each(cases)('%j', (argv, expected) => {
    expect(parseCli(argv)).toEqual({ ...NONE, ...expected });
  });
});

describe('parseCli rejects bad flags with ConfigError("flags", reason)', () => {
  const cases: [string[], string][] = [
    [['-bogus'], 'flag provided but not defined: -bogus'],
    [['--nope=1', '-config=a.json'], 'flag provided but not defined: -nope'],
    [['-bogus', '-nope'], 'flag provided but not defined: -bogus, -nope'],
    [['-vv'], 'flag provided but not defined: -vv'], // mesos-dns has no -vv: verbosity is -v=2
    [['-c', 'a.json'], 'flag provided but not defined: -c'],
    [['-config'], 'flag needs an argument: -config'],
    [['-v'], 'flag needs an argument: -v'],
    [['-config='], '-config needs a file name'],
    [['-v=abc'], 'invalid value for flag -v'],
    [['-v=1.5'], 'invalid value for flag -v'],
    [['-v=-1'], 'invalid value for flag -v'],
    [['-version=maybe'], 'invalid boolean value "maybe" for flag -version'],
    [['---config=a'], 'bad flag syntax'],
    [['-=x'], 'bad flag syntax'],
    [['-config=a.json', 'extra'], 'unexpected argument: extra'],
    [['--', '-config=a.json'], 'unexpected argument: -config=a.json'],
  ];
  it.each(cases)('%j -> %s', (argv, reason) => {
    let thrown: unknown;
    try {
      parseCli(argv);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const err = thrown as ConfigError;
    expect(err.key).toBe('flags');
    expect(err.code).toBe('MDNS_ERR_CONFIG');
    expect(err.reason).toContain(reason);
  });
});

describe('usage', () => {
  it('names every flag a user types, and the ignored glog flags', () => {
    const text = usage();
    for (const flag of ['-config string', '-version', '-v int', '-help']) expect(text).toContain(flag);
    for (const flag of ['-logtostderr', '-alsologtostderr', '-stderrthreshold', '-log_dir', '-vmodule']) {
      expect(text).toContain(flag);
    }
  });
});
