import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig, type SvnavConfig } from '../../src/config';
import { evalCommand } from '../../src/cli/commands/eval';
import type { Planner } from '../../src/planner/planner';
import { runReplay, type ReplayOptions } from '../../src/replay/replay';
import { FoxgloveLiveServer } from '../../src/viz/live-server';
import { tempDir } from '../bag/helpers';
import { loadTinyPlanner, tinyModelDir } from '../support/tiny-model';
import { writeSmallBag } from './bags';

/** Runs `fn` with process.stdout/stderr captured. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  const error = console.error;
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  console.error = (...args: unknown[]) => void err.push(args.join(' '));
  try {
    return { value: await fn(), out: out.join(''), err: err.join('\n') };
  } finally {
    process.stdout.write = write.out;
    console.error = error;
  }
}

describe('svnav replay modes, bad input and svnav eval (small synthetic bags)', function () {
  this.timeout(60_000);
  let planner: Planner;
  let config: SvnavConfig;
  let tmp: ReturnType<typeof tempDir>;
  const bag = () => path.join(tmp.dir, 'small.mcap');
  const replay = (output: string, extra: Partial<ReplayOptions> = {}) =>
    runReplay({
      input: bag(),
      output: path.join(tmp.dir, output),
      instruction: 'walk to the orange wall',
      config,
      planner,
      ...extra,
    });

  before(async () => {
    tmp = tempDir('replay-modes');
    const modelDir = await tinyModelDir();
    config = parseConfig({ model: { dir: modelDir, execution_providers: ['cpu'], allow_untrained: true } });
    planner = await loadTinyPlanner();
    // 4 s: plans from the frames at 2.8 s and 3.8 s (the first needs 3 chunks of 4 frames at 4 FPS).
    await writeSmallBag(bag(), { duration_s: 4, badFormatAt_s: 0.5 });
  });
  after(async () => {
    await planner?.close();
    tmp?.cleanup();
  });

  it('real-time mode paces by wall time, plans with real latency and measures the Twist period', async () => {
    const started = Date.now();
    const r = await replay('realtime.mcap', { mode: 'realtime' });
    const wall_s = (Date.now() - started) / 1000;
    assert.ok(wall_s >= 3.8, `a 4 s bag replayed in ${wall_s} s of wall time`);
    assert.deepEqual(r.latency_model, { kind: 'wall_clock' });
    assert.ok(r.planner.plans! >= 2, `${r.planner.plans} plans`);
    const t = r.twist_timing!;
    assert.equal(t.nominal_ms, 50);
    assert.ok(t.intervals >= 20, `${t.intervals} intervals`);
    assert.ok(Math.abs(t.period_ms.p50 - 50) < 10, `period p50 ${t.period_ms.p50} ms`);
    assert.ok(r.eval.summary.plan_latency_s!.p50 > 0);
  });

  it('a frame in an unknown format is reported naming topic and time, and the rest is replayed', async () => {
    const r = await replay('bad-format.mcap');
    assert.equal(r.planner.badFrames, 1);
    const warning = r.warnings.find((w) => w.includes('h264'));
    assert.ok(warning?.includes('/camera/image_raw/compressed'), `warnings: ${r.warnings.join(' | ')}`);
    assert.ok(r.planner.plans! >= 2);
  });

  it('serves the outputs on a Foxglove WebSocket server while recording them', async () => {
    const live = await FoxgloveLiveServer.start({ port: 0 });
    try {
      await replay('live.mcap', { live });
      // Advertised during the replay: advertising again with another type is refused.
      assert.throws(
        () => live.advertise('/svnav/plan', 'std_msgs/msg/String'),
        /already advertised as sparse_video_nav\/msg\/Plan/,
      );
      assert.throws(() => live.advertise('/cmd_vel', 'std_msgs/msg/String'), /geometry_msgs\/msg\/Twist/);
    } finally {
      await live.close();
    }
  });

  it('svnav eval over two replay outputs prints a table per run and a pooled summary, and writes JSON', async () => {
    const a = await replay('run-a.mcap');
    const b = await replay('run-b.mcap', { latencyMs: 600 });
    const json = path.join(tmp.dir, 'summary.json');
    const { value: status, out } = await captured(() => evalCommand([a.output, b.output], { report: json }));
    assert.equal(status, 0);
    assert.match(out, /run-a\.mcap/);
    assert.match(out, /run-b\.mcap/);
    assert.match(out, /all 2 runs/);
    const written = JSON.parse(readFileSync(json, 'utf8')) as {
      runs: { source: string }[];
      summary: { pooled: { plans_total: number; plan_latency_s: { max: number } } };
    };
    assert.equal(written.runs.length, 2);
    assert.equal(written.summary.pooled.plans_total, a.eval.summary.plans_total + b.eval.summary.plans_total);
    assert.ok(written.summary.pooled.plan_latency_s.max >= 0.6);
  });

  it('svnav eval names a bag it cannot open and exits 2 (nothing evaluated, nothing written)', async () => {
    const missing = path.join(tmp.dir, 'missing.mcap');
    const { value: status, err } = await captured(() => evalCommand([missing], {}));
    assert.equal(status, 2);
    assert.match(err, /cannot open bag.*missing\.mcap/);
  });
});
