// deploy/docker/Dockerfile and .dockerignore. There is no Docker daemon here, so the image is never
// built (docs/operations.md says so). What is checked instead: the Dockerfile's promises read from
// the file (multi-stage, the build stage running the same build as `npm run build`, a non-root
// USER, EXPOSE matching the config defaults, a HEALTHCHECK on /ready); .dockerignore letting in
// every file those stages copy; and the runtime stage's layout, put together from this checkout
// the way its COPY lines describe, started with the image's ENTRYPOINT as the image's user (uid
// 1000, no capability) on port 53 in a network namespace with Docker's
// net.ipv4.ip_unprivileged_port_start=0, probed with the image's own HEALTHCHECK command.
import { describe, expect, it, jest } from '@jest/globals';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { demoConfig, netnsAvailable, root, runInNetns } from './helpers/netns.js';

// A server start on a loaded machine can take seconds; runInNetns gives up after 50 s.
jest.setTimeout(60_000);

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  lines: Instruction[];
}

/** Instructions by stage: continuation lines joined, comments and the parser directive dropped. */
function parseDockerfile(text: string): Stage[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`not an instruction: ${line}`);
    const op = m[1].toUpperCase();
    const args = m[2].replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const from = /^(\S+)(?: AS (\S+))?$/i.exec(args)!;
      stages.push({ from: from[1], name: from[2], lines: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.lines.push({ op, args });
    }
  }
  return stages;
}

const dockerfile = await readFile(path.join(root, 'deploy', 'docker', 'Dockerfile'), 'utf8');
const dockerignore = await readFile(path.join(root, '.dockerignore'), 'utf8');
const stages = parseDockerfile(dockerfile);
const build = stages.find((s) => s.name === 'build')!;
const runtime = stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.lines.filter((l) => l.op === op).map((l) => l.args);
const exec = (args: string): string[] => JSON.parse(args.replace(/^.*?(\[)/, '$1')) as string[];
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const defaults = JSON.parse(await readFile(path.join(root, 'config.example.json'), 'utf8')) as { port: number; httpport: number };

/** COPY lines of a stage as [source, destination, from-stage]. */
function copies(stage: Stage): Array<{ src: string; dest: string; from: string | undefined }> {
  return ops(stage, 'COPY').map((args) => {
    const from = /--from=(\S+)/.exec(args)?.[1];
    const parts = args.replace(/--\S+/g, '').trim().split(' ');
    const dest = parts.pop()!;
    return parts.map((src) => ({ src, dest: parts.length > 1 ? path.posix.join(dest, src) : dest, from }));
  }).flat();
}

/** Whether .dockerignore lets `file` (relative to the repository) into the build context. */
function inContext(file: string): boolean {
  // Docker's rule: the last matching pattern wins; `**` any depth, `*` within one name.
  let included = true;
  for (const raw of dockerignore.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = negate ? line.slice(1) : line;
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}(/.*)?$`);
    if (re.test(file)) included = negate;
  }
  return included;
}

describe('the Dockerfile', () => {
  it('builds in a node:24 stage and runs from a slim node:24 stage', () => {
    expect(stages).toHaveLength(2);
    expect(build.from).toBe('node:${NODE_VERSION}-bookworm');
    expect(runtime.from).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24$/m);
  });

  it("compiles with the package's own build script and fails without the addons", () => {
    const runs = ops(build, 'RUN').join('\n');
    expect(runs).toContain('npm ci');
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && node native/build.js');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('test -f dist/native/udp-batch.node');
    expect(runs).toContain('test -f dist/native/state-reader.node');
    expect(ops(build, 'ENV')).toContain('MDNS_NATIVE_REQUIRED=1');
    // Development dependencies never reach the runtime stage.
    expect(runs).toMatch(/npm prune --omit=dev/);
  });

  it('copies into the build context only what .dockerignore lets in, and every file the build reads', () => {
    for (const { src, from } of [...copies(build), ...copies(runtime)]) {
      if (from !== undefined) continue;
      expect([src, existsSync(path.join(root, src))]).toEqual([src, true]);
      // A directory's files are what COPY takes from it.
      const files = statSync(path.join(root, src)).isDirectory() ? readdirSync(path.join(root, src), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))) : [src];
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect([file, inContext(file)]).toEqual([file, true]);
    }
    // What `npm run build` reads is copied in before it runs.
    const built = copies(build).map((c) => c.src);
    expect(built).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'native']));
    // A host's own build output and dependencies stay out.
    for (const outside of ['node_modules', 'node_modules/pino/package.json', 'dist/main.js', 'test/cli.test.ts', 'bench/run.js', '.git/HEAD']) {
      expect([outside, inContext(outside)]).toEqual([outside, false]);
    }
    expect(inContext('src/main.ts')).toBe(true);
    expect(inContext('native/udp-batch.c')).toBe(true);
  });

  it('runs as the non-root node user, exposes the default ports and checks /ready', () => {
    expect(ops(runtime, 'USER')).toEqual(['node']);
    expect(ops(runtime, 'EXPOSE')).toEqual([`${defaults.port}/udp ${defaults.port}/tcp ${defaults.httpport}/tcp`]);
    const health = ops(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]).toContain(`http://127.0.0.1:${defaults.httpport}/ready`);
    expect(exec(ops(runtime, 'ENTRYPOINT')[0])).toEqual(['node', 'bin/mesos-dns-ts.js']);
    expect(exec(ops(runtime, 'CMD')[0])).toEqual(['-config=/etc/mesos-dns/config.json']);
  });
});

const describeNetns = netnsAvailable() ? describe : describe.skip;

describeNetns("the runtime stage's layout", () => {
  it('serves DNS on port 53 as uid 1000 with no capability under Docker\'s port sysctl, and passes its HEALTHCHECK', async () => {
    // /app as the runtime stage lays it out: each COPY --from=build source from this checkout's
    // build (npm test built it), each context COPY from the repository; node_modules is this
    // checkout's (with the development dependencies the image prunes).
    const workdir = ops(runtime, 'WORKDIR')[0];
    const buildDir = ops(build, 'WORKDIR')[0];
    const lines = copies(runtime).map(({ src, dest, from }) => {
      const source = path.join(root, from === 'build' ? path.posix.relative(buildDir, src) : src);
      const target = `"$DIR/app/${path.posix.relative(workdir, path.posix.resolve(workdir, dest))}"`;
      const put = source.endsWith('node_modules') ? 'ln -s' : 'cp -r';
      return `mkdir -p "$(dirname ${target})"; ${put} "${source}" ${target}`;
    });
    const [entry, ...entryArgs] = exec(ops(runtime, 'ENTRYPOINT')[0]);
    const [hcNode, ...hcArgs] = exec(ops(runtime, 'HEALTHCHECK')[0]);
    expect([entry, hcNode]).toEqual(['node', 'node']);
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const asImageUser = 'setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs';
    const health = `(cd "$DIR/app" && ${asImageUser} "$NODE" ${hcArgs.map(quote).join(' ')}); echo "healthcheck $?"`;
    const script = `
      ${lines.join('\n')}
      sysctl -q -w net.ipv4.ip_unprivileged_port_start=0
      ${health}
      cd "$DIR/app"
      ${asImageUser} "$NODE" ${entryArgs.map(quote).join(' ')} -config="$DIR/config.json" >"$DIR/dns.log" 2>&1 &
      echo $! >"$DIR/dns.pid"
      healthy dns ${defaults.httpport} || exit 1
      ${health}
      echo "uid $(awk '/^Uid:/ {print $2}' /proc/$(cat "$DIR/dns.pid")/status)"
      dig @127.0.0.1 -p 53 +short +tries=1 +time=2 leader.mesos
    `;
    const config = demoConfig('0.0.0.0', defaults.httpport, { port: defaults.port, externalon: false });
    const out = await runInNetns(script, { 'config.json': config });
    expect(out.stdout.split('\n')).toEqual(['healthcheck 1', 'healthcheck 0', 'uid 1000', '127.0.0.1', '']);
    // The addons the build stage insists on are the ones the layout serves with.
    expect(out.logs['dns.log']).toContain('"udpMode":"batched"');
    expect(out.logs['dns.log']).toContain('"stateReader":"native"');
  });
});
