import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import { buildActionContext } from '../../src/model/networks/action_context';
import { buildActionStep } from '../../src/model/networks/action_step';
import { ddimSchedule } from '../../src/model/networks/ddim';
import { toFloat16Array } from '../../src/model/onnx/dtype';
import { modelBytes } from '../../src/model/onnx/serialize';
import { OFFICIAL, TINY } from '../../src/model/presets';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import { actionPredictionRef, ddimRef } from './reference/action';
import { mat } from './reference/former';
import { randomArray, testWeights } from './reference/weights';

process.env.XDG_RUNTIME_DIR ??= '/tmp';

/** fp32 ORT (CPU and WebGPU) vs the reference for one step (observed < 1e-6). */
const TOLERANCE = 2e-5;
/** A 10-step loop feeds each step's output back in; errors stay far below this (observed ~1e-6). */
const LOOP_TOLERANCE = 1e-4;
/** fp16 weights and activations vs fp32 on [-1, 1] actions. */
const FP16_TOLERANCE = 5e-3;
/** Paper, Table A-I: Stage 4 trains 23.4 M parameters (the action head). */
const PAPER_ACTION_HEAD = 23.4e6;

describe('action_step', () => {
  const { horizon, actionDim } = TINY.action;
  const { hidden } = TINY.action.dit;
  const textLen = TINY.dit.textLen;
  const queries = TINY.action.videoformer.queries;
  const def = buildActionStep(TINY, { floatType: 'float32' });
  const weights = testWeights(def.graph, 3);
  const bytes = modelBytes(def.graph, (p) => weights.get(p.name)!);
  const video = mat(queries, hidden, randomArray(queries * hidden, 21));
  const text = mat(textLen, hidden, randomArray(textLen * hidden, 22));
  const schedule = ddimSchedule(TINY.ddim);
  const feeds = (
    actions: Float32Array,
    step: { timestep: number; alphaBar: number; alphaBarPrev: number },
  ) => ({
    actions: { data: actions, dims: [1, horizon, actionDim] },
    timestep: { data: Float32Array.of(step.timestep), dims: [1] },
    alpha_bar: { data: Float32Array.of(step.alphaBar), dims: [1] },
    alpha_bar_prev: { data: Float32Array.of(step.alphaBarPrev), dims: [1] },
    video_tokens: { data: video.data, dims: [1, queries, hidden] },
    text_tokens: { data: text.data, dims: [1, textLen, hidden] },
  });
  const noise = randomArray(horizon * actionDim, 30);

  /** One CPU session for a whole sampling loop, as the runtime would hold it. */
  async function stepper(model: Uint8Array) {
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
    const run = async (a: Float32Array, s: { timestep: number; alphaBar: number; alphaBarPrev: number }) => {
      const f = feeds(a, s);
      const inputs = Object.fromEntries(
        Object.entries(f).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]),
      );
      const out = await session.run(inputs);
      return { x0: out.actions_x0!.data as Float32Array, next: out.actions_next!.data as Float32Array };
    };
    return { run, release: () => session.release() };
  }

  it('official preset: Table A-III sizes; the action head totals ≈ 23.4 M parameters (graph only)', () => {
    const step = buildActionStep(OFFICIAL, { floatType: 'float32' }).graph;
    const context = buildActionContext(OFFICIAL, { floatType: 'float32' }).graph;
    const { hidden: h, layers, ffn } = OFFICIAL.action.dit;
    const block = 6 * h + 2 * 4 * (h * h + h) + 2 * h + (h * ffn + ffn) + (ffn * h + h);
    const expected =
      4 * h + 8 * h + 2 * (h * h + h) + (6 * h * h + 6 * h) + layers * block + 2 * h + (3 * h + 3);
    assert.equal(step.parameterCount, expected);
    const total = step.parameterCount + context.parameterCount;
    console.log(
      `      action head (official): ${(total / 1e6).toFixed(2)} M = action_context ${(context.parameterCount / 1e6).toFixed(2)} M + ` +
        `action_step ${(step.parameterCount / 1e6).toFixed(2)} M (paper 23.4 M, ${((total / PAPER_ACTION_HEAD - 1) * 100).toFixed(1)} %); ` +
        `${(step.macs / 1e9).toFixed(2)} GMAC per DDIM step, ${((context.macs + 10 * step.macs) / 1e9).toFixed(1)} GMAC per 10-step plan`,
    );
    assert.ok(
      Math.abs(total / PAPER_ACTION_HEAD - 1) < 0.15,
      `action head ${total} vs paper ${PAPER_ACTION_HEAD}`,
    );
  });

  it('tiny: one step on ORT CPU equals the plain reference (x0 and the DDIM update)', async () => {
    const s = schedule[4]!;
    const out = await runModel(bytes, feeds(noise, s));
    const pred = actionPredictionRef(TINY, weights, noise, s.timestep, video, text);
    const ref = ddimRef(noise, pred, s.alphaBar, s.alphaBarPrev);
    assert.deepEqual(out.actions_next!.dims, [1, horizon, actionDim]);
    const d0 = maxAbsDiff(out.actions_x0!.data, ref.x0);
    const dn = maxAbsDiff(out.actions_next!.data, ref.next);
    console.log(
      `      action_step tiny CPU vs reference: x0 ${d0.toExponential(2)}, next ${dn.toExponential(2)}`,
    );
    assert.ok(d0 < TOLERANCE && dn < TOLERANCE, `x0 ${d0}, next ${dn}`);
  });

  it('the prediction depends on the timestep and on the video tokens', async () => {
    const base = (await runModel(bytes, feeds(noise, schedule[0]!))).actions_x0!.data;
    const otherK = (await runModel(bytes, feeds(noise, { ...schedule[0]!, timestep: 10 }))).actions_x0!.data;
    const f = feeds(noise, schedule[0]!);
    const otherVideo = (
      await runModel(bytes, {
        ...f,
        video_tokens: { data: randomArray(queries * hidden, 99), dims: f.video_tokens.dims },
      })
    ).actions_x0!.data;
    assert.ok(maxAbsDiff(base, otherK) > 1e-5, `timestep moved x0 by ${maxAbsDiff(base, otherK)}`);
    assert.ok(maxAbsDiff(base, otherVideo) > 1e-5, `video moved x0 by ${maxAbsDiff(base, otherVideo)}`);
  });

  it('with a constant x0 head, a 10-step loop follows the closed-form DDIM path and ends on the clipped x0', async () => {
    // proj_out = 0·x + b: the network predicts b whatever its input; x0 = clip(b) = [0.3, −0.5, 1].
    const constant = new Map(weights);
    constant.set('proj_out.weight', new Float32Array(actionDim * hidden));
    constant.set('proj_out.bias', Float32Array.of(0.3, -0.5, 2.0));
    const model = modelBytes(def.graph, (p) => constant.get(p.name)!);
    const x0 = Float32Array.from({ length: horizon * actionDim }, (_, i) => [0.3, -0.5, 1][i % 3]!);
    // η = 0 with a fixed x0 keeps ε fixed: a_k = √ᾱ_k·x0 + √(1−ᾱ_k)·ε0 along the whole path.
    const first = schedule[0]!;
    const eps0 = noise.map(
      (a, i) => (a - Math.sqrt(first.alphaBar) * x0[i]!) / Math.sqrt(1 - first.alphaBar),
    );
    const step = await stepper(model);
    let a = noise;
    for (const s of schedule) {
      const out = await step.run(a, s);
      assert.ok(maxAbsDiff(out.x0, x0) < 1e-6, `k = ${s.timestep}: x0 ${out.x0.slice(0, 3).join(', ')}`);
      a = out.next;
      const expected = x0.map(
        (v, i) => Math.sqrt(s.alphaBarPrev) * v + Math.sqrt(1 - s.alphaBarPrev) * eps0[i]!,
      );
      assert.ok(maxAbsDiff(a, expected) < 1e-5, `k = ${s.timestep}: ${maxAbsDiff(a, expected)}`);
    }
    await step.release();
    assert.ok(maxAbsDiff(a, x0) < 1e-6);
  });

  it('tiny: a 10-step loop driven by the graph reproduces the reference DDIM loop', async () => {
    const step = await stepper(bytes);
    let a = noise;
    let r = noise;
    for (const s of schedule) {
      a = (await step.run(a, s)).next;
      r = ddimRef(
        r,
        actionPredictionRef(TINY, weights, r, s.timestep, video, text),
        s.alphaBar,
        s.alphaBarPrev,
      ).next;
    }
    await step.release();
    const d = maxAbsDiff(a, r);
    console.log(`      action_step tiny 10-step DDIM loop vs reference: max abs diff ${d.toExponential(2)}`);
    assert.ok(d < LOOP_TOLERANCE, `max abs diff ${d}`);
    assert.ok(
      a.every((v) => v >= -1 && v <= 1),
      'final actions outside [-1, 1]',
    );
  });

  it('with ᾱ_prev = 1 the update returns the x0 prediction clipped to [-1, 1]', async () => {
    const big = new Map(weights);
    big.set('proj_out.bias', Float32Array.of(3, -3, 0.2)); // pushes Δx, Δy past the clip
    const model = modelBytes(def.graph, (p) => big.get(p.name)!);
    const s = { timestep: 30, alphaBar: schedule[6]!.alphaBar, alphaBarPrev: 1 };
    const out = await runModel(model, feeds(noise, s));
    const pred = actionPredictionRef(TINY, big, noise, s.timestep, video, text);
    assert.ok(
      pred.some((v) => Math.abs(v) > 1),
      'the test needs predictions outside [-1, 1]',
    );
    assert.ok(maxAbsDiff(out.actions_x0!.data, ddimRef(noise, pred, s.alphaBar, 1).x0) < TOLERANCE);
    assert.ok(maxAbsDiff(out.actions_next!.data, out.actions_x0!.data) < 1e-6);
    assert.ok(out.actions_x0!.data.every((v) => v >= -1 && v <= 1));
  });

  it('fp16 build runs on CPU and agrees with fp32 (sampler math stays fp32)', async () => {
    const g16 = buildActionStep(TINY, { floatType: 'float16' }).graph;
    assert.deepEqual(
      g16.inputs.map((t) => `${t.name}:${t.dtype}`),
      [
        'actions:float32',
        'timestep:float32',
        'alpha_bar:float32',
        'alpha_bar_prev:float32',
        'video_tokens:float16',
        'text_tokens:float16',
      ],
    );
    const session = await ort.InferenceSession.create(
      modelBytes(g16, (p) => weights.get(p.name)!),
      { executionProviders: ['cpu'] },
    );
    try {
      const s = schedule[2]!;
      const f = feeds(noise, s);
      const out = await session.run({
        actions: new ort.Tensor('float32', f.actions.data, f.actions.dims),
        timestep: new ort.Tensor('float32', f.timestep.data, [1]),
        alpha_bar: new ort.Tensor('float32', f.alpha_bar.data, [1]),
        alpha_bar_prev: new ort.Tensor('float32', f.alpha_bar_prev.data, [1]),
        video_tokens: new ort.Tensor('float16', toFloat16Array(video.data), f.video_tokens.dims),
        text_tokens: new ort.Tensor('float16', toFloat16Array(text.data), f.text_tokens.dims),
      });
      assert.equal(out.actions_next!.type, 'float32');
      const fp32 = await runModel(bytes, f);
      const d0 = maxAbsDiff(out.actions_x0!.data as Float32Array, fp32.actions_x0!.data);
      const dn = maxAbsDiff(out.actions_next!.data as Float32Array, fp32.actions_next!.data);
      console.log(
        `      action_step tiny fp16 vs fp32 (CPU): x0 ${d0.toExponential(2)}, next ${dn.toExponential(2)}`,
      );
      assert.ok(d0 < FP16_TOLERANCE && dn < FP16_TOLERANCE, `x0 ${d0}, next ${dn}`);
      assert.ok(d0 > 0, 'fp16 run identical to fp32: was the fp16 graph used?');
    } finally {
      await session.release();
    }
  });

  it('rejects a Video-Former narrower than the DiT at build time, naming both widths', () => {
    const bad = {
      ...TINY,
      action: { ...TINY.action, videoformer: { ...TINY.action.videoformer, hidden: 16 } },
    };
    assert.throws(
      () => buildActionStep(bad, { floatType: 'float32' }),
      /Video-Former hidden 16 ≠ DiT hidden 32/,
    );
  });

  it('tiny: WebGPU equals the reference', async function () {
    if (!(await webgpuAvailable())) this.skip(); // no WebGPU adapter (Mesa lavapipe) on this machine
    const s = schedule[7]!;
    const out = await runModel(bytes, feeds(noise, s), 'webgpu');
    const ref = ddimRef(
      noise,
      actionPredictionRef(TINY, weights, noise, s.timestep, video, text),
      s.alphaBar,
      s.alphaBarPrev,
    );
    const d = Math.max(
      maxAbsDiff(out.actions_x0!.data, ref.x0),
      maxAbsDiff(out.actions_next!.data, ref.next),
    );
    console.log(`      action_step tiny WebGPU vs reference: max abs diff ${d.toExponential(2)}`);
    assert.ok(d < TOLERANCE, `max abs diff ${d}`);
  });
});
