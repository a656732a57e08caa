// Command-line flags, accepted the way mesos-dns (Go's `flag` package plus glog) accepts them:
// `-config=FILE`, `-config FILE`, `--config FILE`, `--config=FILE`, `-version`, `-v=2`, `-v 2`.
// Parsing has no side effects: no printing, no exiting. main.ts decides what to do with the result.
//
// yargs reads `-config` as the short flags c,o,n,f,i,g, and guesses whether a flag takes a value
// from the next token. Go's rules are simpler and fixed: one or two dashes mean the same, a boolean
// flag takes a value only as `-flag=value`, any other flag takes `=value` or the next argument
// whatever it looks like. So each flag is first rewritten to the unambiguous `--name=value`, and
// yargs then checks names and types against the one flag table below.

import yargs from 'yargs';
import { ConfigError } from './errors.js';

export interface CliOptions {
  /** undefined = no -config given (mesos-dns would then read ./config.json). */
  configPath: string | undefined;
  version: boolean;
  /** glog -v level: 0 quiet, 1 verbose, 2 very verbose. */
  verbosity: number;
  help: boolean;
}

interface FlagDef {
  type: 'boolean' | 'string' | 'number';
  describe: string;
  /** A glog flag: accepted so existing command lines keep working, otherwise ignored. */
  ignored?: true;
}

const FLAGS: Readonly<Record<string, FlagDef>> = {
  config: { type: 'string', describe: 'path to the JSON configuration file (mesos-dns default: config.json)' },
  version: { type: 'boolean', describe: 'print the version and exit' },
  v: { type: 'number', describe: 'log level: 1 = verbose, 2 = very verbose (every record, counters)' },
  help: { type: 'boolean', describe: 'print this help and exit' },
  h: { type: 'boolean', describe: 'same as -help' },
  logtostderr: { type: 'boolean', describe: 'glog', ignored: true },
  alsologtostderr: { type: 'boolean', describe: 'glog', ignored: true },
  stderrthreshold: { type: 'string', describe: 'glog', ignored: true },
  log_dir: { type: 'string', describe: 'glog', ignored: true },
  vmodule: { type: 'string', describe: 'glog', ignored: true },
  log_backtrace_at: { type: 'string', describe: 'glog', ignored: true },
};

// Go's strconv.ParseBool, which `flag` uses for boolean flags.
const GO_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

const fail = (reason: string): never => {
  throw new ConfigError('flags', reason);
};

/** Rewrites Go-style flags to `--name=value`; the arguments after the flags are passed on as they are. */
function normalise(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // Like Go's flag package, the flags end at "--" or at the first argument that is not a flag.
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) {
      out.push('--', ...argv.slice(arg === '--' ? i + 1 : i));
      break;
    }
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) fail(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    let value = eq < 0 ? undefined : body.slice(eq + 1);
    const def = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (def === undefined) {
      // Left for yargs's strict mode to report, so all unknown flags are named together.
      out.push(`--${name}`);
      continue;
    }
    if (def.type === 'boolean') {
      if (value !== undefined && !GO_TRUE.has(value) && !GO_FALSE.has(value)) {
        fail(`invalid boolean value "${value}" for flag -${name}`);
      }
      out.push(`--${name}=${value === undefined || GO_TRUE.has(value)}`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) fail(`flag needs an argument: -${name}`);
      value = argv[++i];
    }
    out.push(`--${name}=${value}`);
  }
  return out;
}

/** yargs's "Unknown arguments: a, b" in the words of Go's flag package, with the dash the user typed. */
function flagFailure(message: string): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown === null) return message;
  const names = unknown[1].split(', ').map((n) => `-${n}`);
  return `flag provided but not defined: ${names.join(', ')}`;
}

/** Parses the arguments after the program name. Throws ConfigError('flags', reason) on bad flags. */
export function parseCli(argv: string[]): CliOptions {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([name, def]) => [name, { type: def.type }]));
  const parsed = yargs(normalise(argv))
    .exitProcess(false)
    .help(false)
    .version(false)
    .strict()
    .parserConfiguration({
      'short-option-groups': false,
      'camel-case-expansion': false,
      'boolean-negation': false,
      'dot-notation': false,
      'duplicate-arguments-array': false, // Go: the last occurrence of a flag wins
      'parse-numbers': false,
      'parse-positional-numbers': false,
    })
    .options(options)
    .fail((msg: string | null, err: Error | undefined) => fail(flagFailure(msg ?? err?.message ?? 'bad flags')))
    .parseSync();

  const extra = parsed._;
  if (extra.length > 0) fail(`unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`);

  const config = parsed.config as string | undefined;
  if (config === '') fail('-config needs a file name');

  const v = parsed.v as number | undefined;
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) fail(`invalid value for flag -v: must be a level 0, 1 or 2`);

  return {
    configPath: config,
    version: parsed.version === true,
    verbosity: v ?? 0,
    help: parsed.help === true || parsed.h === true,
  };
}

/** The text for -help. */
export function usage(): string {
  const lines = ['Usage: mesos-dns-ts [flags]', '', 'Flags (one or two dashes; -flag=value or -flag value):'];
  const entries = Object.entries(FLAGS);
  for (const [name, def] of entries.filter(([, d]) => !d.ignored)) {
    const arg = def.type === 'boolean' ? '' : def.type === 'number' ? ' int' : ' string';
    lines.push(`  -${name}${arg}`, `        ${def.describe}`);
  }
  const glog = entries.filter(([, d]) => d.ignored).map(([name]) => `-${name}`);
  lines.push('', `Accepted for mesos-dns command lines and ignored: ${glog.join(', ')}.`);
  lines.push('', 'Configuration keys are described in docs/configuration.md.');
  return `${lines.join('\n')}\n`;
}
