// deploy/marathon/mesos-dns-ts.json. No Marathon here: the app definition is checked against the
// fields Marathon's app schema (v2 /v2/apps) requires and the ones docs/operations.md relies on:
// one instance per agent, host networking on the config's ports, a MESOS_HTTP health check on
// /ready, an upgrade that replaces one instance at a time, and arguments the real command
// accepts. The Docker parameters are the docker run flags docs/operations.md explains.
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCli } from '../src/cli.js';
import { root } from './helpers/netns.js';

interface PortDefinition {
  port: number;
  protocol: string;
  name: string;
}
interface App {
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  constraints: string[][];
  container: { type: string; docker: { image: string; parameters: Array<{ key: string; value: string }> } };
  networks: Array<{ mode: string }>;
  args: string[];
  cmd?: string;
  fetch: Array<{ uri: string; extract: boolean }>;
  portDefinitions: PortDefinition[];
  requirePorts: boolean;
  healthChecks: Array<{ protocol: string; path: string; portIndex: number; gracePeriodSeconds: number; maxConsecutiveFailures: number }>;
  readinessChecks: Array<{ protocol: string; path: string; portName: string; httpStatusCodesForReady: number[] }>;
  upgradeStrategy: { minimumHealthCapacity: number; maximumOverCapacity: number };
}

const app = JSON.parse(await readFile(path.join(root, 'deploy', 'marathon', 'mesos-dns-ts.json'), 'utf8')) as App;
const defaults = JSON.parse(await readFile(path.join(root, 'config.example.json'), 'utf8')) as { port: number; httpport: number };
const dockerfile = await readFile(path.join(root, 'deploy', 'docker', 'Dockerfile'), 'utf8');

describe('the Marathon app definition', () => {
  it("has Marathon's required fields with valid values", () => {
    // Marathon's id pattern: absolute, lower-case path segments.
    expect(app.id).toMatch(/^\/([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\/[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/);
    expect(Number.isInteger(app.instances) && app.instances >= 1).toBe(true);
    expect(app.cpus).toBeGreaterThan(0);
    // Resident memory at 100,000 tasks with the stream on and patched tables is 678 MB
    // (docs/performance.md, "Quiet machine, 2026-12-07"): the limit is above it.
    expect(app.mem).toBeGreaterThan(678);
    // Marathon needs a cmd, args or a container image to run.
    expect(app.cmd).toBeUndefined();
    expect(app.container.type).toBe('DOCKER');
    expect(app.container.docker.image).toMatch(/mesos-dns-ts:/);
  });

  it('runs one instance per agent: hostname UNIQUE on host networking', () => {
    expect(app.constraints).toEqual([['hostname', 'UNIQUE']]);
    expect(app.networks).toEqual([{ mode: 'host' }]);
  });

  it("reserves the config's DNS (UDP and TCP) and HTTP ports on the agent, as they are", () => {
    expect(app.requirePorts).toBe(true);
    expect(app.portDefinitions).toEqual([
      { port: defaults.port, protocol: 'udp,tcp', name: 'dns' },
      { port: defaults.httpport, protocol: 'tcp', name: 'http' },
    ]);
  });

  it('health-checks /ready over HTTP on the HTTP port, from the agent (MESOS_HTTP), without killing', () => {
    // Marathon runs one Mesos health check per app.
    expect(app.healthChecks).toHaveLength(1);
    const [check] = app.healthChecks;
    expect(check.protocol).toBe('MESOS_HTTP');
    expect(check.path).toBe('/ready');
    expect(app.portDefinitions[check.portIndex].port).toBe(defaults.httpport);
    expect(check.gracePeriodSeconds).toBeGreaterThanOrEqual(30);
    // /ready turns 503 on every agent at once when the masters fail (a stale table): killing on
    // it would restart every DNS server in the cluster for a fault no restart fixes (docs/http-api.md).
    expect(check.maxConsecutiveFailures).toBe(0);
  });

  it('holds a deployment until the new instance is ready (readinessChecks on /ready, by port name)', () => {
    expect(app.readinessChecks).toEqual([
      expect.objectContaining({ protocol: 'HTTP', path: '/ready', portName: 'http', httpStatusCodesForReady: [200] }),
    ]);
    expect(app.portDefinitions.find((p) => p.name === 'http')?.port).toBe(defaults.httpport);
  });

  it('upgrades one instance at a time, never starting a second copy on an agent', () => {
    const { minimumHealthCapacity, maximumOverCapacity } = app.upgradeStrategy;
    // Every agent already runs one and the ports are fixed: no room for an extra instance.
    expect(maximumOverCapacity).toBe(0);
    // Marathon keeps ceil(instances × minimumHealthCapacity) healthy while it replaces the rest:
    // exactly one fewer than all, so it kills one, waits for its replacement to be healthy, and so on.
    expect(Math.ceil(app.instances * minimumHealthCapacity)).toBe(app.instances - 1);
  });

  it('passes the fetched config with arguments the command accepts, to the image entrypoint', () => {
    expect(app.fetch).toEqual([expect.objectContaining({ uri: expect.stringMatching(/\/config\.json$/), extract: false })]);
    // The Docker containerizer mounts the sandbox (where fetched files land) at /mnt/mesos/sandbox.
    expect(parseCli(app.args)).toEqual({ configPath: '/mnt/mesos/sandbox/config.json', version: false, verbosity: 0, help: false });
    // `args` go after the image's ENTRYPOINT, which must therefore be the server itself.
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/mesos-dns-ts\.js"\]$/m);
  });

  it('binds port 53 as a user holding only NET_BIND_SERVICE, with no way to gain more', () => {
    expect(app.container.docker.parameters).toEqual([
      { key: 'user', value: 'root' },
      { key: 'cap-drop', value: 'ALL' },
      { key: 'cap-add', value: 'NET_BIND_SERVICE' },
      { key: 'security-opt', value: 'no-new-privileges' },
    ]);
  });
});
