// `npm run fuzz` after bench/fuzz.js has built the server and compiled this: one fuzz run
// (fuzz-run.ts) with its figures printed; exit 1 when a check failed.
//
// Environment (all optional):
//   FUZZ_UDP        malformed datagrams (default 100000)
//   FUZZ_TCP        malformed TCP streams (default 2000)
//   FUZZ_SEED       replays a run (default: the time)
//   FUZZ_SECONDS    stop sending after this long, warm-up not counted (default 300)
//   FUZZ_WARMUP     datagrams of the same mix sent before the RSS baseline (default 50000): the
//                   server's heaps grow to their working size over the first ~70,000 (measured)
//   FUZZ_RSS_MIB    largest RSS growth allowed after the warm-up (default 50)
//   FUZZ_SETTLE=0   read RSS without first making the server collect its garbage (saves ~25 s)
import { envInt } from './report.js';
import { installExitHandlers } from './processes.js';
import { formatFuzzReport, runFuzz } from './fuzz-run.js';

installExitHandlers();
const seed = envInt('FUZZ_SEED', Date.now() % 1_000_000);
const options = {
  udpPackets: envInt('FUZZ_UDP', 100_000),
  tcpStreams: envInt('FUZZ_TCP', 2_000),
  seed,
  timeLimitMs: envInt('FUZZ_SECONDS', 300) * 1000,
  rssBoundMiB: envInt('FUZZ_RSS_MIB', 50),
  warmupPackets: envInt('FUZZ_WARMUP', 50_000),
  settleGc: process.env.FUZZ_SETTLE !== '0',
  progress: (line: string) => process.stderr.write(`fuzz: ${line}\n`),
};
process.stderr.write(`fuzz: seed ${seed} (FUZZ_SEED=${seed} replays this run)\n`);
const report = await runFuzz(options);
process.stdout.write(formatFuzzReport(report) + '\n');
process.exit(report.failures.length === 0 ? 0 : 1);
