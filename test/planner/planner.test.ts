import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ManifestError, sealManifest, type ModelManifest } from '../../src/model/manifest';
import { openModelDirectory } from '../../src/planner/model-dir';
import { cameraModel } from '../../src/planner/actions/geometric/camera-model';
import { Planner, type PlannerOptions, resolveActionSource } from '../../src/planner/planner';
import type { Plan } from '../../src/planner/plan';
import { webgpuAvailable } from '../model/ort';
import { syntheticFrame, tinyModelDir } from '../support/tiny-model';

process.env.XDG_RUNTIME_DIR ??= '/tmp';

async function loadPlanner(overrides: Partial<PlannerOptions> = {}): Promise<Planner> {
  const { planner } = await Planner.load({
    modelDir: overrides.modelDir ?? (await tinyModelDir()),
    providers: ['cpu'],
    seed: 3,
    actionSource: 'learned',
    ...overrides,
  });
  return planner;
}

/** Frames offset..offset+n-1; every 4 complete one chunk. Returns the chunks completed. */
async function feed(planner: Planner, n: number, offset = 0): Promise<number> {
  let chunks = 0;
  for (let i = 0; i < n; i++) if (await planner.addFrame(syntheticFrame(i + offset))) chunks++;
  return chunks;
}

/** The first plan needs 3 chunks: 1 of history + the 2 reference chunks (12 frames at 4 FPS). */
const FIRST_PLAN_FRAMES = 12;

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

  it('completes one chunk per 4 frames, aligned to the episode start', async () => {
    assert.equal(await feed(planner, 9), 2);
    assert.equal(planner.historySize, 2);
  });

  it('plans 8 finite actions and the release latent (2 reference + 8 future chunks) with stage timings', async () => {
    await feed(planner, FIRST_PLAN_FRAMES + 2);
    const plan = await planner.plan('walk forward to find a wooden chair and stop next to it');
    assertPlan(plan);
    assert.equal(plan.actions.length, 8);
    for (const a of plan.actions)
      for (const v of [a.dx_m, a.dy_m, a.dtheta_rad]) assert.ok(Number.isFinite(v));
    assert.equal(plan.actionSource, 'learned');
    assert.equal(plan.stepDtS, 0.25);
    assert.deepEqual(plan.futureDims, [16, 10, 4, 4]);
    assert.equal(plan.referenceChunks, 2);
    assert.deepEqual(plan.futureOffsets, [0, 1, 4, 7, 10, 13, 16, 19]);
    // Complete chunks only: frames 12 and 13 wait for the next chunk.
    assert.equal(plan.inputStampNs, syntheticFrame(11).stampNs);
    assert.equal(plan.historyChunks, 1);
    for (const k of ['encodeMs', 'historyMs', 'textMs', 'ditMs', 'actionMs', 'totalMs'] as const) {
      assert.ok(plan.timings[k] >= 0, `${k} = ${plan.timings[k]}`);
    }
    assert.ok(plan.timings.totalMs >= plan.timings.ditMs + plan.timings.actionMs);
  });

  it('keeps the clean reference in the returned latent (re-injected after the last step)', async () => {
    await feed(planner, FIRST_PLAN_FRAMES);
    const a = await planner.plan('walk to the door');
    const b = await planner.plan('turn around');
    assertPlan(a);
    assertPlan(b);
    const plane = 16;
    for (let c = 0; c < 16; c++) {
      const ref = (p: Plan) => p.futureLatents.subarray(c * 10 * plane, (c * 10 + 2) * plane);
      assert.deepEqual(ref(a), ref(b), `channel ${c}`);
    }
    assert.notDeepEqual(a.futureLatents, b.futureLatents);
  });

  it('is deterministic under a seed and changes with the seed', async () => {
    await feed(planner, FIRST_PLAN_FRAMES);
    const a = await planner.plan('walk to the door');
    const other = await loadPlanner({ seed: 3 });
    const reseeded = await loadPlanner({ seed: 4 });
    try {
      await feed(other, FIRST_PLAN_FRAMES);
      await feed(reseeded, FIRST_PLAN_FRAMES);
      const b = await other.plan('walk to the door');
      const c = await reseeded.plan('walk to the door');
      assertPlan(a);
      assertPlan(b);
      assertPlan(c);
      assert.deepEqual(b.actions, a.actions);
      assert.deepEqual(b.futureLatents, a.futureLatents);
      assert.notDeepEqual(c.futureLatents, a.futureLatents);
    } finally {
      await other.close();
      await reseeded.close();
    }
  });

  it('encodes an instruction once and reuses it until it changes', async () => {
    await feed(planner, FIRST_PLAN_FRAMES);
    const first = await planner.plan('turn left at the stairs');
    const again = await planner.plan('turn left at the stairs');
    const changed = await planner.plan('stop next to the table');
    assertPlan(first);
    assertPlan(again);
    assertPlan(changed);
    assert.equal(again.timings.textMs, 0);
    assert.ok(changed.timings.textMs > 0);
    assert.equal(changed.instruction, 'stop next to the table');
  });

  it('keeps at most max_chunks history chunks (the Q-Former table) and says how many it left out', async () => {
    const max = planner.manifest.history.max_chunks;
    assert.equal(max, 64);
    assert.equal(await feed(planner, 4 * (max + 5)), max + 5);
    const plan = await planner.plan('walk forward');
    assertPlan(plan);
    assert.equal(plan.historyChunks, max);
    assert.equal(plan.historyDroppedChunks, 3);
  });

  it('keeps the main thread responsive while a plan runs in the worker', async () => {
    await feed(planner, FIRST_PLAN_FRAMES);
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
    assert.ok(plans >= 1);
    assert.ok(ticks.length > 40, `a 2 ms timer fired only ${ticks.length} times in 400 ms of planning`);
    const p99ms = delay.percentile(99) / 1e6;
    assert.ok(p99ms < 50, `event-loop delay p99 ${p99ms.toFixed(1)} ms while planning`);
  });

  it('returns NoPlan for an empty instruction or before 3 chunks, and plans with a long one', async () => {
    await feed(planner, FIRST_PLAN_FRAMES - 1);
    const none = await planner.plan('walk forward');
    assert.equal(!none.ok && none.kind, 'no_frames');
    assert.match(
      !none.ok ? none.reason : '',
      /needs 3 complete chunks \(12 frames at 4 FPS\), the episode has 2/,
    );
    await feed(planner, 1, FIRST_PLAN_FRAMES - 1);
    const empty = await planner.plan('   ');
    assert.equal(!empty.ok && empty.kind, 'invalid_instruction');
    const long = await planner.plan('walk forward and keep looking for the wooden chair '.repeat(50));
    assertPlan(long);
  });

  it('rejects a frame of the wrong size or with non-finite values, naming it', async () => {
    await assert.rejects(
      planner.addFrame({ stampNs: 1n, data: new Float32Array(10) }),
      /has 10 values, the encoder needs 3×32×32/,
    );
    const nan = syntheticFrame(0);
    nan.data[5] = NaN;
    await assert.rejects(planner.addFrame(nan), /non-finite values/);
    assert.equal(planner.historySize, 0);
  });

  it('aborts a plan between network calls when cancelled', async () => {
    await feed(planner, FIRST_PLAN_FRAMES);
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

  it('decodes a plan to the release video: 37 frames of uint8 RGB', async () => {
    await feed(planner, FIRST_PLAN_FRAMES);
    const plan = await planner.plan('walk forward');
    assertPlan(plan);
    const video = await planner.decodeFuture(plan);
    assert.equal(video.frames.length, 37);
    assert.equal(video.height, 32);
    assert.ok(video.frames.every((f) => f.length === 32 * 32 * 3));
  });

  it('reports a seeded model as untrained', () => {
    assert.equal(planner.provenance.untrained, true);
    assert.equal(planner.provenance.actionHeadTrained, false);
    assert.ok(planner.provenance.seededNetworks.includes('dit_step'));
  });

  it('turns a dead inference worker into NoPlan, not a crash', async () => {
    const doomed = await loadPlanner();
    await feed(doomed, FIRST_PLAN_FRAMES);
    await doomed.close();
    const outcome = await doomed.plan('walk forward');
    assert.equal(!outcome.ok && outcome.kind, 'inference_error');
    assert.match(!outcome.ok ? outcome.reason : '', /not running/);
  });
});

describe('planner runtime: geometric action source (untrained tiny video generator)', function () {
  this.timeout(120_000);

  it('is what auto chooses for a trained video generator without trained action-head weights', () => {
    assert.equal(resolveActionSource('auto', { untrained: false, actionHeadTrained: false }), 'geometric');
    assert.equal(resolveActionSource('auto', { untrained: false, actionHeadTrained: true }), 'learned');
    // A model seeded throughout imagines noise: it keeps the seeded head so the pipeline still runs end to end.
    assert.equal(resolveActionSource('auto', { untrained: true, actionHeadTrained: false }), 'learned');
    assert.equal(resolveActionSource('geometric', { untrained: true, actionHeadTrained: true }), 'geometric');
  });

  it("refuses to read motion from an untrained generator's noise, and without a camera model", async () => {
    const planner = await loadPlanner({ actionSource: 'geometric' });
    try {
      assert.equal(planner.actionSource, 'geometric');
      await feed(planner, FIRST_PLAN_FRAMES);
      const blind = await planner.plan('walk forward');
      assert.equal(!blind.ok && blind.kind, 'no_motion_estimate');
      assert.match(!blind.ok ? blind.reason : '', /no camera model yet/);
      const camera = cameraModel({
        hfov_deg: 90,
        sourceWidth_px: 1280,
        sourceHeight_px: 720,
        mount: { height_m: 0.3, pitch_rad: 0.3, forward_m: 0.28, lateral_m: 0 },
        size_px: 32,
      });
      // An untrained generator imagines noise: no floor to follow, so no plan (the controller stops).
      const outcome = await planner.plan('walk forward', { geometric: { camera } });
      assert.equal(!outcome.ok && outcome.kind, 'no_motion_estimate');
      assert.match(!outcome.ok ? outcome.reason : '', /^step \d/);
    } finally {
      await planner.close();
    }
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
      seed: 0,
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

  it('refuses a model.json edited after build-model wrote it (e.g. its preset)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'svnav-edited-')), 'model');
    cpSync(await tinyModelDir(), dir, { recursive: true });
    const path = join(dir, 'model.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"preset": "tiny"', '"preset": "official"'));
    await assert.rejects(openModelDirectory(dir), /model\.json was edited after svnav build-model wrote it/);
  });

  it('refuses, at load, a model whose plans the controller would refuse (step time, step count), naming the field', async () => {
    for (const [field, value, pattern] of [
      ['step_dt_s', 6, /action\.step_dt_s/],
      ['horizon', 65, /action\.horizon/],
    ] as const) {
      const dir = join(mkdtempSync(join(tmpdir(), 'svnav-steps-')), 'model');
      cpSync(await tinyModelDir(), dir, { recursive: true });
      const path = join(dir, 'model.json');
      const { content_sha256: _, ...manifest } = JSON.parse(readFileSync(path, 'utf8')) as ModelManifest;
      const edited = { ...manifest, action: { ...manifest.action, [field]: value } };
      writeFileSync(path, JSON.stringify(sealManifest(edited), null, 2));
      await assert.rejects(openModelDirectory(dir), (e: Error) => {
        assert.ok(e instanceof ManifestError, String(e));
        assert.match(e.message, pattern);
        return true;
      });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a model of another preset or resolution than expected', async () => {
    await assert.rejects(
      openModelDirectory(await tinyModelDir(), { preset: 'official' }),
      /preset is tiny, expected official/,
    );
    await assert.rejects(
      openModelDirectory(await tinyModelDir(), { resolution: { height: 256, width: 256 } }),
      /resolution is 32×32, expected 256×256/,
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
      const { planner, report } = await Planner.load({ modelDir, providers: [ep], seed: 1 });
      try {
        assert.ok(report.networks.every((n) => n.provider === ep));
        await feed(planner, FIRST_PLAN_FRAMES);
        const plan = await planner.plan('walk to the door');
        assertPlan(plan);
        results.push(plan);
      } finally {
        await planner.close();
      }
    }
    const [cpu, gpu] = results as [Plan, Plan];
    let worst = 0;
    for (let i = 0; i < cpu.futureLatents.length; i++) {
      worst = Math.max(worst, Math.abs(cpu.futureLatents[i]! - gpu.futureLatents[i]!));
    }
    assert.ok(worst < 1e-3, `latents differ by ${worst}`);
    for (let k = 0; k < 8; k++) {
      for (const f of ['dx_m', 'dy_m', 'dtheta_rad'] as const) {
        assert.ok(
          Math.abs(cpu.actions[k]![f] - gpu.actions[k]![f]) < 1e-3,
          `action ${k} ${f}: ${cpu.actions[k]![f]} vs ${gpu.actions[k]![f]}`,
        );
      }
    }
  });
});
