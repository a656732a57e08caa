// The files under deploy/prometheus/ and deploy/grafana/ as an operator would load them:
// promtool (Debian's `prometheus` package) checks the scrape config and the rules and runs the
// rules' unit tests; every PromQL expression in the rules and the dashboard must be valid and
// name only metric families a running server exports.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from './helpers/server.js';
import { parseExposition } from './helpers/metrics.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prometheusDir = path.join(root, 'deploy', 'prometheus');

function promtool(args: string[], cwd = prometheusDir): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** Every `expr:` of the rules file (single-line and `|` blocks). */
function ruleExpressions(yaml: string): string[] {
  const out: string[] = [];
  const lines = yaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '|') {
      out.push(m[2]);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].startsWith(`${m[1]}  `) || lines[i + 1].trim() === '')) block.push(lines[++i].trim());
    out.push(block.join(' ').trim());
  }
  return out;
}

/** Every PromQL expression of the dashboard's panels and template variables. */
function dashboardExpressions(dashboard: { panels: Array<{ targets?: Array<{ expr: string }> }> }): string[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names an expression reads: identifiers that are not functions, keywords or labels. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\$\w+/g, ''); // dashboard variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = stripped.slice(m.index + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

let server: TestServer;
/** Family name -> type, from a running server's /metrics. */
let families: Map<string, string>;

beforeAll(async () => {
  // A state file and an upstream-free config: every family is declared (TYPE lines) even before
  // it has samples, so no traffic is needed to list them.
  server = await startTestServer({ stateFile: path.join(root, 'zones', 'demo', 'state.json'), externalon: false });
  families = parseExposition((await server.http('/metrics')).body).types;
});

afterAll(async () => {
  await server?.close();
});

/** Whether `name` is a series of an exported family (a histogram's _bucket/_sum/_count included). */
function exported(name: string): boolean {
  if (families.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && families.get(base) === 'histogram';
}

describe('deploy/prometheus', () => {
  it('promtool accepts the scrape config and the rules', async () => {
    expect(await promtool(['check', 'config', 'prometheus.yml'])).toMatchObject({ code: 0 });
    const rules = await promtool(['check', 'rules', 'mesos-dns.rules.yml']);
    expect(rules).toMatchObject({ code: 0 });
    expect(rules.out).toContain('SUCCESS: 11 rules found');
  });

  it("passes the rules' unit tests (no table, SERVFAIL ratio, drops, upstream down, health fallback)", async () => {
    const run = await promtool(['test', 'rules', 'mesos-dns.rules.test.yml']);
    expect(run.out).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });

  it('alerts only on families the server exports', async () => {
    const exprs = ruleExpressions(await readFile(path.join(prometheusDir, 'mesos-dns.rules.yml'), 'utf8'));
    expect(exprs).toHaveLength(11);
    // `up` is Prometheus's own series for every target.
    const unknown = exprs.flatMap(metricNames).filter((n) => n !== 'up' && !exported(n));
    expect(unknown).toEqual([]);
  });
});

describe('deploy/grafana/mesos-dns.json', () => {
  it('queries only families the server exports, with valid PromQL', async () => {
    const dashboard = JSON.parse(await readFile(path.join(root, 'deploy', 'grafana', 'mesos-dns.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ definition?: string }> };
    };
    const exprs = dashboardExpressions(dashboard);
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    const names = new Set(exprs.flatMap(metricNames));
    for (const family of ['mesos_dns_responses_total', 'mesos_dns_request_duration_seconds_bucket', 'mesos_dns_forward_attempts_total', 'mesos_dns_table_age_seconds', 'mesos_dns_table_names', 'mesos_dns_dropped_total']) {
      expect([family, names.has(family)]).toEqual([family, true]);
    }
    expect([...names].filter((n) => !exported(n))).toEqual([]);
    // The variable's query too.
    const variable = dashboard.templating.list.find((v) => v.definition)!.definition!;
    expect(exported(/label_values\((\w+),/.exec(variable)![1])).toBe(true);

    // Syntax: promtool checks each expression as a recording rule (Grafana's variables replaced
    // by what they expand to).
    const dir = await mkdtemp(path.join(tmpdir(), 'mdns-grafana-'));
    try {
      const rules = exprs.map((e, i) => `      - record: dashboard_expr_${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'))}`);
      await writeFile(path.join(dir, 'dashboard.rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const check = await promtool(['check', 'rules', 'dashboard.rules.yml'], dir);
      expect(check.out).toContain(`SUCCESS: ${exprs.length} rules found`);
      expect(check.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads metric names out of PromQL as this test means to', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (upstream, le) (rate(a_bucket{x=~"y|z"}[$__rate_interval])))')).toEqual(['a_bucket']);
    expect(metricNames('a > 600 and on(instance, job) b == 0')).toEqual(['a', 'b']);
    expect(metricNames('sum(rate(a{rcode="SERVFAIL"}[5m])) / sum(rate(c[5m]))')).toEqual(['a', 'c']);
  });
});
