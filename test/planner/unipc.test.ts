import { strict as assert } from 'node:assert';
import { f32, readFixture, relativeError } from '../official-fixtures';
import {
  flowUniPCSchedule,
  initialUniPCState,
  reinjectReference,
  uniPCStep,
} from '../../src/planner/sampler/unipc';

const loop = readFixture('loop.safetensors');
const layout = { channels: 16, frames: 10, referenceFrames: 2 };
const referenceOf = (x: Float32Array) => {
  const plane = x.length / (layout.channels * layout.frames);
  const out = new Float32Array(layout.channels * 2 * plane);
  for (let c = 0; c < layout.channels; c++) {
    out.set(x.subarray(c * 10 * plane, (c * 10 + 2) * plane), c * 2 * plane);
  }
  return out;
};

describe('UniPC sampler (the release FlowUniPCMultistepScheduler, bh2, order 2)', () => {
  it('has the release schedule: σ = 0.999, 0.74925, 0.4995, 0.24975, 0 and t = 999, 749, 499, 249', () => {
    const s = flowUniPCSchedule(4);
    assert.deepEqual(s.timesteps, [999, 749, 499, 249]);
    assert.deepEqual(s.timesteps, Array.from(loop.get('timesteps')!.data as BigInt64Array, Number));
    assert.deepEqual(s.sigmas, Array.from(f32(loop, 'sigmas')));
  });

  it('uses predictor orders 1, 2, 2, 1 and reproduces every per-step tensor of the official loop', () => {
    const schedule = flowUniPCSchedule(4);
    const reference = referenceOf(f32(loop, 'video_latent'));
    let state = initialUniPCState();
    let x: Float32Array = Float32Array.from(f32(loop, 'video_latent'));
    const errors: number[] = [];
    for (let k = 0; k < 4; k++) {
      errors.push(relativeError(x, f32(loop, `step${k}.model_input`)));
      const { state: next, trace } = uniPCStep(schedule, state, x, f32(loop, `step${k}.velocity`));
      assert.equal(trace.order, Number((loop.get(`step${k}.order`)!.data as BigInt64Array)[0]));
      errors.push(relativeError(trace.x0, f32(loop, `step${k}.x0_pred`)));
      errors.push(relativeError(trace.corrected, f32(loop, `step${k}.sample_after_corrector`)));
      errors.push(relativeError(trace.next, f32(loop, `step${k}.prev_sample`)));
      reinjectReference(trace.next, reference, layout);
      errors.push(relativeError(trace.next, f32(loop, `step${k}.after_injection`)));
      state = next;
      x = trace.next;
    }
    errors.push(relativeError(x, f32(loop, 'final')));
    assert.ok(Math.max(...errors) <= 1e-5, `largest relative error ${Math.max(...errors)}`);
    if (process.env.SVNAV_REPORT_ERRORS)
      console.log(`    unipc loop: max rel ${Math.max(...errors).toExponential(2)}`);
  });

  it('the last step returns the x0 prediction (σ = 0)', () => {
    const schedule = flowUniPCSchedule(4);
    let state = initialUniPCState();
    const n = 8;
    let x: Float32Array = new Float32Array(n).fill(1);
    let last: Float32Array = x;
    for (let k = 0; k < 4; k++) {
      const v = new Float32Array(n).map((_, i) => 0.1 * i - k);
      const r = uniPCStep(schedule, state, x, v);
      state = r.state;
      x = r.trace.next;
      last = r.trace.x0;
    }
    assert.deepEqual(Array.from(x), Array.from(last));
  });

  it('refuses a step past the schedule and a velocity of the wrong size', () => {
    const schedule = flowUniPCSchedule(1);
    const r = uniPCStep(schedule, initialUniPCState(), new Float32Array(4), new Float32Array(4));
    assert.throws(
      () => uniPCStep(schedule, r.state, new Float32Array(4), new Float32Array(4)),
      /past the schedule/,
    );
    assert.throws(
      () => uniPCStep(schedule, initialUniPCState(), new Float32Array(4), new Float32Array(3)),
      /velocity has 3 values/,
    );
    assert.throws(() => flowUniPCSchedule(0), /positive integer/);
  });

  it('supports other step counts like the release (8 steps: orders 1, 2, …, 2, 1)', () => {
    const schedule = flowUniPCSchedule(8);
    assert.equal(schedule.timesteps.length, 8);
    assert.equal(schedule.timesteps[0], 999);
    let state = initialUniPCState();
    const orders: number[] = [];
    for (let k = 0; k < 8; k++) {
      const r = uniPCStep(schedule, state, new Float32Array(2), new Float32Array(2));
      orders.push(r.trace.order);
      state = r.state;
    }
    assert.deepEqual(orders, [1, 2, 2, 2, 2, 2, 2, 1]);
  });
});
