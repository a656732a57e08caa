// Shared by the config tests (config-parse, config-errors, config-load): parseConfig with a fixed
// environment, the smallest valid file, and the errors a failing parse or load throws.
import { expect } from '@jest/globals';
import { ConfigError, ConfigErrors } from '../../src/errors.js';
import { parseConfig, type ConfigEnv } from '../../src/config/validate.js';

export const ENV: ConfigEnv = { file: '/etc/mesos-dns/config.json', resolvConf: '', localAddresses: [], now: 1_700_000_000 };
export const BASE = { masters: ['127.0.0.1:5050'] };

export const parse = (raw: unknown, env: Partial<ConfigEnv> = {}) => parseConfig(raw, { ...ENV, ...env });
/** raw over BASE, as a JSON file would hold it (a key set to undefined is left out). */
export const withBase = (raw: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries({ ...BASE, ...raw }).filter(([, v]) => v !== undefined));
export const config = (raw: Record<string, unknown>, env: Partial<ConfigEnv> = {}) => parse(withBase(raw), env).config;

export function errorsOf(run: () => unknown): ConfigError[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as ConfigErrors).errors;
  }
  throw new Error('expected ConfigErrors, nothing was thrown');
}

export async function asyncErrorsOf(run: () => Promise<unknown>): Promise<ConfigError[]> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as ConfigErrors).errors;
  }
  throw new Error('expected ConfigErrors, nothing was thrown');
}
