// The incremental table of a full build, as publish.ts keeps it: made when the build is swapped in,
// started later (once the DNS threads serve the build, or when the first stream state needs it)
// in steps with turns of the event loop between them (IncrementalTable.inSteps), so that the main
// thread keeps answering /health and reading the stream meanwhile.
import type { MasterState } from './mesos/state.js';
import type { BuildInputs, BuiltParts } from './records/build-table.js';
import { IncrementalTable } from './records/incremental/incremental-table.js';
import type { Logger } from './log.js';

export interface Engine {
  inputs: BuildInputs;
  builtAt: number;
  /**
   * Its start in steps (the same one for every caller while it runs); undefined when given up.
   * `waited`: a state waits for it, so the steps left run without giving the event loop a turn.
   */
  start(waited?: boolean): Promise<IncrementalTable | undefined>;
  /** The started table (only after start() gave it). */
  table(): IncrementalTable;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The engine over `parts`, a full build of `state` swapped in as `generation`. `replaced(self)`:
 * whether another engine replaced it or a full build runs (which will): a start in steps is then
 * given up at its next pause.
 */
export function lazyEngine(
  state: MasterState,
  inputs: BuildInputs,
  parts: BuiltParts,
  generation: number,
  deps: { log?: Logger; replaced: (self: Engine) => boolean },
): Engine {
  let table: IncrementalTable | undefined;
  let starting: Promise<IncrementalTable | undefined> | undefined;
  let from: { state: MasterState; parts: BuiltParts } | undefined = { state, parts };
  // A stream state waits for the start: its turns between steps would only delay that state.
  let hurry = false;
  const self: Engine = {
    inputs,
    builtAt: Date.now(),
    start(waited = false): Promise<IncrementalTable | undefined> {
      if (waited) hurry = true;
      if (table !== undefined) return Promise.resolve(table);
      starting ??= (async () => {
        const at = performance.now();
        // Its slices: how many pauses, the time on this thread between them, and the longest.
        let steps = 0;
        let busy = 0;
        let longest = 0;
        let resumed = at;
        const slice = (): void => {
          const ms = performance.now() - resumed;
          busy += ms;
          longest = Math.max(longest, ms);
        };
        const made = await IncrementalTable.inSteps(from!.state, inputs, from!.parts, async () => {
          slice();
          steps++;
          if (!hurry) await nextTurn();
          resumed = performance.now();
          return !deps.replaced(self);
        }).finally(() => (starting = undefined));
        if (made === undefined) return undefined;
        slice();
        table = made;
        from = undefined;
        deps.log?.debug({ generation, ms: Math.round(performance.now() - at), busyMs: Math.round(busy), longestStepMs: Math.round(longest), steps }, 'incremental table started');
        return made;
      })();
      return starting;
    },
    table(): IncrementalTable {
      if (table === undefined) throw new Error('the incremental table is used before its start');
      return table;
    },
  };
  return self;
}
