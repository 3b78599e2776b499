import { strict as assert } from 'node:assert';
import { alphaBarTable, ddimSchedule, squaredCosBetas } from '../../src/model/networks/ddim';
import { OFFICIAL } from '../../src/model/presets';

describe('action DDIM schedule (squaredcos_cap_v2, 100 training steps)', () => {
  const table = alphaBarTable(OFFICIAL.ddim);
  const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;

  it('matches known ᾱ values', () => {
    // Computed separately (Python, float64) from the improved-DDPM cosine formula that Diffusers' betas_for_alpha_bar uses.
    const known: [number, number][] = [
      [0, 0.9993687184],
      [10, 0.9667167049],
      [50, 0.4782646329],
      [90, 0.0195443764],
      [99, 2.42857228e-7],
    ];
    for (const [k, v] of known)
      assert.ok(Math.abs(table[k]! - v) < 1e-9 * Math.max(1, 1 / v), `ᾱ_${k} = ${table[k]} ≠ ${v}`);
    assert.equal(table.length, 100);
  });

  it('telescopes to f((k+1)/T)/f(0) until the 0.999 cap bites on the last step', () => {
    for (let k = 0; k < 99; k++) assert.ok(Math.abs(table[k]! - f((k + 1) / 100) / f(0)) < 1e-12, `k = ${k}`);
    const betas = squaredCosBetas(100);
    assert.equal(betas[99], 0.999);
    assert.ok(betas.slice(0, 99).every((b) => b < 0.999));
    assert.ok(Math.abs(table[99]! - table[98]! * 0.001) < 1e-18);
  });

  it('10 inference steps are k = 90, 80, …, 0 ("leading"), each ᾱ_prev the next step’s ᾱ, the last 1', () => {
    const steps = ddimSchedule(OFFICIAL.ddim);
    assert.deepEqual(
      steps.map((s) => s.timestep),
      [90, 80, 70, 60, 50, 40, 30, 20, 10, 0],
    );
    steps.forEach((s, i) => {
      assert.equal(s.alphaBar, table[s.timestep]);
      assert.equal(s.alphaBarPrev, i + 1 < steps.length ? steps[i + 1]!.alphaBar : 1);
    });
  });

  it('other step counts: 1 step is k = 0, 100 steps visit every k, 3 steps use ⌊100/3⌋ = 33', () => {
    assert.deepEqual(ddimSchedule(OFFICIAL.ddim, 1), [{ timestep: 0, alphaBar: table[0], alphaBarPrev: 1 }]);
    assert.deepEqual(
      ddimSchedule(OFFICIAL.ddim, 100).map((s) => s.timestep),
      Array.from({ length: 100 }, (_, i) => 99 - i),
    );
    assert.deepEqual(
      ddimSchedule(OFFICIAL.ddim, 3).map((s) => s.timestep),
      [66, 33, 0],
    );
  });

  it('rejects step counts outside 1…trainSteps and unknown schedules, with the value', () => {
    assert.throws(() => ddimSchedule(OFFICIAL.ddim, 0), /1…100, got 0/);
    assert.throws(() => ddimSchedule(OFFICIAL.ddim, 101), /got 101/);
    assert.throws(() => ddimSchedule(OFFICIAL.ddim, 2.5), /got 2.5/);
    assert.throws(
      () => alphaBarTable({ ...OFFICIAL.ddim, betaSchedule: 'linear' as 'squaredcos_cap_v2' }),
      /unsupported beta schedule linear/,
    );
  });
});
