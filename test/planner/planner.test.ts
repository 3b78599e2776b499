import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ManifestError } from '../../src/model/manifest';
import { openModelDirectory } from '../../src/planner/model-dir';
import { Planner, type PlannerOptions } from '../../src/planner/planner';
import type { Plan } from '../../src/planner/plan';
import { webgpuAvailable } from '../model/ort';
import { syntheticFrame, tinyModelDir } from '../support/tiny-model';

process.env.XDG_RUNTIME_DIR ??= '/tmp';

async function loadPlanner(overrides: Partial<PlannerOptions> = {}): Promise<Planner> {
  const { planner } = await Planner.load({
    modelDir: overrides.modelDir ?? (await tinyModelDir()),
    providers: ['cpu'],
    historyCapacity: 8,
    sampler: 'pcm',
    guidanceScale: 5,
    seed: 3,
    preview: true,
    ...overrides,
  });
  return planner;
}

/** Frames 0..n-1: the first makes chunk 0, then every 4 frames one more chunk. */
async function feed(planner: Planner, n: number, offset = 0): Promise<number> {
  let chunks = 0;
  for (let i = 0; i < n; i++) if (await planner.addFrame(syntheticFrame(i + offset))) chunks++;
  return chunks;
}

function assertPlan(outcome: Awaited<ReturnType<Planner['plan']>>): asserts outcome is Plan {
  if (!outcome.ok) assert.fail(`expected a plan, got NoPlan(${outcome.kind}): ${outcome.reason}`);
}

describe('planner runtime (tiny preset, CPU)', function () {
  this.timeout(120_000);
  let planner: Planner;
  before(async () => {
    planner = await loadPlanner();
  });
  after(async () => {
    await planner?.close();
  });
  beforeEach(async () => {
    await planner.resetEpisode();
  });

  it('encodes one chunk for the first frame, then one per 4 frames', async () => {
    assert.equal(await feed(planner, 9), 3);
    assert.equal(planner.history.size, 3);
    assert.equal(planner.history.newest()!.stampNs, syntheticFrame(8).stampNs);
  });

  it('plans 8 finite actions and an 8-chunk sparse future with per-stage timings', async () => {
    await feed(planner, 5);
    const plan = await planner.plan('walk forward to find a wooden chair and stop next to it');
    assertPlan(plan);
    assert.equal(plan.actions.length, 8);
    for (const a of plan.actions)
      for (const v of [a.dx_m, a.dy_m, a.dtheta_rad]) assert.ok(Number.isFinite(v));
    assert.ok(
      plan.actions.every(
        (a) => Math.abs(a.dx_m) <= 0.25 && Math.abs(a.dy_m) <= 0.125 && Math.abs(a.dtheta_rad) <= 0.25,
      ),
    );
    assert.equal(plan.stepDtS, 0.25);
    assert.deepEqual(plan.futureDims, [16, 8, 8, 14]);
    assert.equal(plan.futureLatents.length, 16 * 8 * 8 * 14);
    assert.deepEqual(plan.futureOffsets, [1, 2, 5, 8, 11, 14, 17, 20]);
    assert.equal(plan.inputStampNs, syntheticFrame(4).stampNs);
    assert.equal(plan.historyChunks, 2);
    for (const k of ['encodeMs', 'historyMs', 'textMs', 'ditMs', 'actionMs', 'totalMs'] as const) {
      assert.ok(plan.timings[k] >= 0, `${k} = ${plan.timings[k]}`);
    }
    assert.ok(plan.timings.totalMs >= plan.timings.ditMs + plan.timings.actionMs);
  });

  it('is deterministic under a seed and changes with the seed', async () => {
    await feed(planner, 5);
    const a = await planner.plan('walk to the door');
    const other = await loadPlanner({ seed: 3 });
    const reseeded = await loadPlanner({ seed: 4 });
    try {
      await feed(other, 5);
      await feed(reseeded, 5);
      const b = await other.plan('walk to the door');
      const c = await reseeded.plan('walk to the door');
      assertPlan(a);
      assertPlan(b);
      assertPlan(c);
      assert.deepEqual(b.actions, a.actions);
      assert.deepEqual(b.futureLatents, a.futureLatents);
      assert.notDeepEqual(c.actions, a.actions);
    } finally {
      await other.close();
      await reseeded.close();
    }
  });

  it('encodes an instruction once and reuses it until it changes', async () => {
    await feed(planner, 1);
    const first = await planner.plan('turn left at the stairs');
    const again = await planner.plan('turn left at the stairs');
    const changed = await planner.plan('stop next to the table');
    assertPlan(first);
    assertPlan(again);
    assertPlan(changed);
    assert.equal(again.timings.textMs, 0);
    assert.ok(changed.timings.textMs > 0);
    assert.equal(changed.instruction, 'stop next to the table');
    assert.notDeepEqual(changed.futureLatents, again.futureLatents);
  });

  it('never holds more history chunks than its capacity', async () => {
    const small = await loadPlanner({ historyCapacity: 3 });
    try {
      assert.equal(await feed(small, 1 + 4 * 6), 7);
      assert.equal(small.history.size, 3);
      const plan = await small.plan('walk forward');
      assertPlan(plan);
      assert.equal(plan.historyChunks, 3);
    } finally {
      await small.close();
    }
  });

  it('keeps the main thread responsive while a plan runs in the worker', async () => {
    await feed(planner, 5);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 2);
    let plans = 0;
    const started = performance.now();
    while (performance.now() - started < 400) {
      assertPlan(await planner.plan('walk forward'));
      plans++;
    }
    clearInterval(timer);
    delay.disable();
    // Each plan runs ~20 network calls in the worker; the JS thread only waits for messages.
    assert.ok(plans >= 1);
    assert.ok(ticks.length > 40, `a 2 ms timer fired only ${ticks.length} times in 400 ms of planning`);
    const p99ms = delay.percentile(99) / 1e6;
    assert.ok(p99ms < 50, `event-loop delay p99 ${p99ms.toFixed(1)} ms while planning`);
  });

  it('returns NoPlan for an empty instruction or before any frame, and plans with a very long one', async () => {
    const none = await planner.plan('walk forward');
    assert.equal(none.ok, false);
    assert.equal(!none.ok && none.kind, 'no_frames');
    await feed(planner, 1);
    const empty = await planner.plan('   ');
    assert.equal(!empty.ok && empty.kind, 'invalid_instruction');
    const long = await planner.plan('walk forward and keep looking for the wooden chair '.repeat(50));
    assertPlan(long);
  });

  it('rejects a frame of the wrong size with a clear error', async () => {
    await assert.rejects(
      planner.addFrame({ stampNs: 1n, data: new Float32Array(10) }),
      /has 10 values, the encoder needs 3×64×112/,
    );
  });

  it('refuses non-finite frames and never returns a trajectory with non-finite numbers', async () => {
    const nan = syntheticFrame(0);
    nan.data[5] = NaN;
    await assert.rejects(planner.addFrame(nan), /non-finite values/);
    assert.equal(planner.history.size, 0);
    const chunk = new Float32Array(16 * 8 * 14).fill(Number.POSITIVE_INFINITY);
    planner.history.push({ stampNs: 10n, data: chunk });
    const outcome = await planner.plan('walk forward');
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.kind, 'non_finite');
  });

  it('aborts a plan between network calls when cancelled', async () => {
    await feed(planner, 1);
    const before = new AbortController();
    before.abort();
    const cancelled = await planner.plan('walk forward', { signal: before.signal });
    assert.equal(!cancelled.ok && cancelled.kind, 'cancelled');
    const mid = new AbortController();
    const pending = planner.plan('walk forward', { signal: mid.signal });
    setImmediate(() => mid.abort());
    const outcome = await pending;
    assert.equal(!outcome.ok && outcome.kind, 'cancelled');
    assertPlan(await planner.plan('walk forward'));
  });

  it('decodes the imagined future into one preview image per chunk', async () => {
    await feed(planner, 5);
    const plan = await planner.plan('walk forward');
    assertPlan(plan);
    const preview = await planner.decodePreview(plan.futureLatents, plan.futureDims);
    assert.deepEqual(preview.dims, [8, 3, 64, 112]);
    assert.ok(preview.rgb.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
  });

  it('reports that seeded networks are untrained', () => {
    assert.equal(planner.provenance.untrained, true);
    assert.ok(planner.provenance.seededNetworks.includes('dit_step'));
  });

  it('turns a dead inference worker into NoPlan, not a crash', async () => {
    const doomed = await loadPlanner();
    await feed(doomed, 1);
    await doomed.close();
    const outcome = await doomed.plan('walk forward');
    assert.equal(!outcome.ok && outcome.kind, 'inference_error');
    assert.match(!outcome.ok ? outcome.reason : '', /not running/);
  });
});

describe('planner runtime: loading', function () {
  this.timeout(120_000);

  it('falls back to the next execution provider when one cannot start, and says so', async () => {
    const lines: string[] = [];
    const { planner, report } = await Planner.load({
      modelDir: await tinyModelDir(),
      providers: ['cuda', 'cpu'],
      intraOpThreads: 1,
      historyCapacity: 4,
      sampler: 'pcm',
      guidanceScale: 5,
      seed: 0,
      preview: false,
      log: (l) => lines.push(l),
    });
    await planner.close();
    const dit = report.networks.find((n) => n.network === 'dit_step')!;
    assert.equal(dit.provider, 'cpu');
    assert.equal(dit.fallbacks[0]?.provider, 'cuda');
    assert.ok(
      lines.some((l) => /^dit_step runs on cpu .*cuda failed/.test(l)),
      lines.join('\n'),
    );
    assert.equal(report.warmup.ok, true);
  });

  it('refuses a model directory with a missing or altered file, listing every problem', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'svnav-bad-')), 'model');
    cpSync(await tinyModelDir(), dir, { recursive: true });
    rmSync(join(dir, 'action_step.onnx'));
    const dit = join(dir, 'dit_step.onnx');
    const bytes = readFileSync(dit);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(dit, bytes);
    await assert.rejects(openModelDirectory(dir), (e: Error) => {
      assert.ok(e instanceof ManifestError);
      assert.match(e.message, /action_step: file action_step\.onnx does not exist/);
      assert.match(e.message, /dit_step: dit_step\.onnx has sha256 [0-9a-f]{12}…, model\.json says/);
      return true;
    });
  });

  it('refuses a model of another preset or resolution than expected', async () => {
    await assert.rejects(
      openModelDirectory(await tinyModelDir(), { preset: 'full' }),
      /preset is tiny, expected full/,
    );
    await assert.rejects(
      openModelDirectory(await tinyModelDir(), { resolution: { height: 256, width: 448 } }),
      /resolution is 64×112, expected 256×448/,
    );
    await assert.rejects(openModelDirectory(join(tmpdir(), 'no-such-model-dir')), /no model\.json/);
  });
});

describe('planner runtime (tiny preset, WebGPU)', function () {
  this.timeout(300_000);

  it('runs a complete plan cycle on WebGPU that matches the CPU within fp32 tolerance', async function () {
    if (!(await webgpuAvailable())) this.skip();
    const modelDir = await tinyModelDir('unfused');
    const results: Plan[] = [];
    for (const ep of ['cpu', 'webgpu'] as const) {
      const { planner, report } = await Planner.load({
        modelDir,
        providers: [ep],
        historyCapacity: 4,
        sampler: 'pcm',
        guidanceScale: 5,
        seed: 1,
        preview: false,
      });
      try {
        assert.ok(report.networks.every((n) => n.provider === ep));
        await feed(planner, 5);
        const plan = await planner.plan('walk to the door');
        assertPlan(plan);
        results.push(plan);
      } finally {
        await planner.close();
      }
    }
    const [cpu, gpu] = results as [Plan, Plan];
    for (let k = 0; k < 8; k++) {
      for (const f of ['dx_m', 'dy_m', 'dtheta_rad'] as const) {
        assert.ok(
          Math.abs(cpu.actions[k]![f] - gpu.actions[k]![f]) < 1e-4,
          `action ${k} ${f}: ${cpu.actions[k]![f]} vs ${gpu.actions[k]![f]}`,
        );
      }
    }
  });
});

describe('planner runtime: teacher sampler', function () {
  this.timeout(120_000);

  it('runs the 50-step teacher with classifier-free guidance, differing from the distilled sampler', async () => {
    const teacher = await loadPlanner({ sampler: 'teacher', guidanceScale: 5, preview: false });
    const pcm = await loadPlanner({ preview: false });
    try {
      await feed(teacher, 5);
      await feed(pcm, 5);
      const a = await teacher.plan('walk to the door');
      const b = await pcm.plan('walk to the door');
      assertPlan(a);
      assertPlan(b);
      assert.ok(a.futureLatents.every(Number.isFinite));
      assert.notDeepEqual(a.futureLatents, b.futureLatents);
    } finally {
      await teacher.close();
      await pcm.close();
    }
  });
});
