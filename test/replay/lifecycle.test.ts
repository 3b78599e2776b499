import { strict as assert } from 'node:assert';
import { createHook } from 'node:async_hooks';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { BagError } from '../../src/bag/errors';
import { parseConfig, type SvnavConfig } from '../../src/config';
import type { Planner } from '../../src/planner/planner';
import { Replay, type ReplayOptions } from '../../src/replay/replay';
import { tempDir } from '../bag/helpers';
import { loadTinyPlanner, tinyModelDir } from '../support/tiny-model';
import { writeSmallBag } from './bags';

describe('Replay life cycle: open → run → finish, or abandon', function () {
  this.timeout(60_000);
  let planner: Planner;
  let config: SvnavConfig;
  let tmp: ReturnType<typeof tempDir>;
  const bag = () => path.join(tmp.dir, 'small.mcap');
  const options = (output: string, extra: Partial<ReplayOptions> = {}): ReplayOptions => ({
    input: bag(),
    output: path.join(tmp.dir, output),
    instruction: 'walk to the orange wall',
    config,
    planner,
    ...extra,
  });
  /** Files in the temp dir other than the input: outputs and any partial files beside them. */
  const written = () => readdirSync(tmp.dir).filter((f) => f !== 'small.mcap');

  before(async () => {
    tmp = tempDir('replay-lifecycle');
    const modelDir = await tinyModelDir();
    config = parseConfig({ model: { dir: modelDir, execution_providers: ['cpu'], allow_untrained: true } });
    planner = await loadTinyPlanner();
    // 4 s at 10 Hz: 40 camera frames, the first plan once three chunks of history exist.
    await writeSmallBag(bag(), { duration_s: 4 });
  });
  after(async () => {
    await planner?.close();
    tmp?.cleanup();
  });

  it('the output takes its name only at finish(), which reports what run() fed', async () => {
    const replay = await Replay.open(options('steps.mcap'));
    assert.equal(existsSync(path.join(tmp.dir, 'steps.mcap')), false, 'nothing at the output after open()');
    await replay.run();
    assert.equal(existsSync(path.join(tmp.dir, 'steps.mcap')), false, 'nothing at the output after run()');
    const report = await replay.finish();
    assert.equal(existsSync(report.output), true);
    assert.equal(report.camera_frames, 40);
    assert.ok(report.planner.plans! >= 1, `${report.planner.plans} plans`);
    assert.equal(report.aborted, false);
    assert.equal(report.input_damage, null);
    assert.deepEqual(written(), ['steps.mcap'], 'no partial file left beside it');
  });

  it('refuses steps out of order, naming the phase', async () => {
    const replay = await Replay.open(options('order.mcap'));
    await replay.run();
    await assert.rejects(replay.run(), /Replay: cannot go from ran to running/);
    await replay.finish();
    await assert.rejects(replay.finish(), /Replay: cannot go from finished to finished/);
    await replay.abandon(); // a finished replay has nothing left to abandon
    await assert.rejects(replay.run(), /Replay: cannot go from finished to running/);
  });

  it('a running replay is not abandoned under its own feet: abort its signal, then finish', async () => {
    const abort = new AbortController();
    const replay = await Replay.open(options('abort-first.mcap', { signal: abort.signal }));
    const running = replay.run();
    await assert.rejects(replay.abandon(), /abort its signal and await run\(\) before abandoning/);
    abort.abort();
    await running;
    const report = await replay.finish();
    assert.equal(report.aborted, true);
    assert.ok(report.camera_frames < 40, `${report.camera_frames} frames`);
  });

  it('a run that fails rejects; abandon() and finish() then leave nothing at the output, the lent planner open', async () => {
    const before = written();
    const replay = await Replay.open(
      options('failed.mcap', {
        onProgress: (p) => {
          if (p.frames === 5) throw new Error('viewer went away');
        },
      }),
    );
    await assert.rejects(replay.run(), /viewer went away/);
    await replay.abandon();
    await assert.rejects(
      replay.finish(),
      /viewer went away/,
      'finish() after a failed run rethrows its error',
    );
    assert.deepEqual(written(), before, 'neither the output nor a partial file');
    await planner.resetEpisode(); // a closed planner would refuse this
  });

  it('an output that cannot be created: open() rejects naming it and stops the started nodes', async () => {
    const output = path.join(tmp.dir, 'no-such-dir', 'out.mcap');
    // Real-time mode: nodes left running would keep wall-clock timers (and the process) alive. Every timer that
    // our code created while opening must have been cleared once open() has rejected (mocha's own are ignored).
    const src = path.resolve(__dirname, '../../src');
    const live = new Set<number>();
    const hook = createHook({
      init: (id, type) => void (type === 'Timeout' && new Error().stack?.includes(src) && live.add(id)),
      destroy: (id) => void live.delete(id),
    }).enable();
    try {
      await assert.rejects(
        Replay.open(options('unused.mcap', { output, mode: 'realtime' })),
        (err: Error) => err instanceof BagError && /cannot create the output: ENOENT/.test(err.message),
      );
    } finally {
      hook.disable();
    }
    assert.equal(live.size, 0, `${live.size} timer(s) of the nodes left running`);
    assert.equal(existsSync(path.dirname(output)), false);
    await planner.resetEpisode();
  });
});
