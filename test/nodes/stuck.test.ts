import { strict as assert } from 'node:assert';
import type { Pose2D } from '../../src/geometry/se2';
import type { PlannedPath } from '../../src/geometry/trajectory';
import { commandsMotion, StuckDetector, type StuckAssessment } from '../../src/nodes/planner/stuck';
import type { Action } from '../../src/planner/plan';

const S = 1_000_000_000n;
const ms = (t_s: number) => BigInt(Math.round(t_s * 1000)) * 1_000_000n;

const params = {
  timeoutNs: 8n * S,
  minProgressM: 0.3,
  motionPathM: 0.05,
  motionRotationRad: 0.1,
  maxPlanGapNs: 2n * S,
  odomTimeoutNs: S / 2n,
};

/** A published plan of `actions` at 4 FPS, stamped `stampNs`. */
const planned = (stampNs: bigint, actions: readonly Action[], step_dt_s = 0.25): PlannedPath => ({
  sequence: 0,
  episodeId: 'episode-1',
  stampNs,
  baseFrameId: 'base_link',
  step_dt_s,
  steps: actions,
});

const steps = (a: Action, n = 8): Action[] => Array.from({ length: n }, () => ({ ...a }));
const FORWARD = steps({ dx_m: 0.075, dy_m: 0, dtheta_rad: 0 }); // 0.3 m/s
const SPIN = steps({ dx_m: 0, dy_m: 0, dtheta_rad: 0.2 }); // 0.8 rad/s
const BACKWARD = steps({ dx_m: -0.075, dy_m: 0, dtheta_rad: 0 });
const STILL = steps({ dx_m: 0, dy_m: 0, dtheta_rad: 0 });

/**
 * Replays `duration_s` of a synthetic run: odometry at 10 Hz from `pose(t)` (unless null), a plan every second
 * from `plan(t)`, and an assessment after every input. Returns every assessment with its time.
 */
function replay(
  duration_s: number,
  pose: ((t_s: number) => Pose2D) | null,
  plan: (t_s: number) => Action[] | null,
): { t_s: number; a: StuckAssessment }[] {
  const d = new StuckDetector(params);
  const out: { t_s: number; a: StuckAssessment }[] = [];
  for (let i = 0; i <= duration_s * 10; i++) {
    const t_s = i / 10;
    const t = ms(t_s);
    if (pose) d.observeOdometry(t, pose(t_s));
    if (i % 10 === 0) {
      const actions = plan(t_s);
      if (actions) d.observePlan(planned(t, actions));
      else d.observeNoPlan();
    }
    out.push({ t_s, a: d.assess(t) });
  }
  return out;
}

const firstStuck = (trace: { t_s: number; a: StuckAssessment }[]) => trace.find((x) => x.a.stuck);

describe('StuckDetector', () => {
  it('does not report straight progress at 0.3 m/s as stuck, and measures its net progress', () => {
    const trace = replay(
      20,
      (t) => ({ x_m: 0.3 * t, y_m: 0, theta_rad: 0 }),
      () => FORWARD,
    );
    assert.equal(firstStuck(trace), undefined);
    const last = trace.at(-1)!.a;
    assert.equal(last.source, 'odometry');
    assert.ok(Math.abs(last.progress_m - 2.4) < 1e-9, `progress ${last.progress_m}`);
    assert.match(last.message, /^not stuck: net progress 2\.40 m in 8\.0 s/);
  });

  it('reports spinning in place as stuck once the plans have commanded motion for the whole timeout', () => {
    const trace = replay(
      12,
      (t) => ({ x_m: 0.01 * Math.sin(t), y_m: 0, theta_rad: 0.8 * t }),
      () => SPIN,
    );
    const hit = firstStuck(trace);
    assert.ok(hit, 'never stuck');
    assert.equal(hit.t_s, 8);
    assert.equal(hit.a.source, 'odometry');
    assert.ok(hit.a.rotation_rad > 6, `rotation ${hit.a.rotation_rad}`);
    assert.match(hit.a.message, /^stuck, turning in place: net progress 0\.0\d m in 8\.0 s/);
    assert.ok(trace.filter((x) => x.t_s < 8).every((x) => !x.a.stuck));
  });

  it('reports a back-and-forth oscillation of ±0.4 m as stuck, though it covers metres of path', () => {
    // Period 6 s: over an 8 s window the net displacement is not always small, only at some instants.
    const x = (t: number) => 0.4 * Math.sin((2 * Math.PI * t) / 6);
    const trace = replay(
      16,
      (t) => ({ x_m: x(t), y_m: 0, theta_rad: 0 }),
      (t) => (Math.cos((2 * Math.PI * t) / 6) >= 0 ? FORWARD : BACKWARD),
    );
    const hit = firstStuck(trace);
    assert.ok(hit, 'never stuck');
    assert.ok(hit.t_s >= 8 && hit.t_s <= 11, `stuck at ${hit.t_s} s`);
    assert.ok(hit.a.path_m > 1.5, `path ${hit.a.path_m}`);
    assert.match(hit.a.message, /oscillating without net progress/);
  });

  it('does not report a robot standing still while the plans command no motion', () => {
    const trace = replay(
      20,
      () => ({ x_m: 1, y_m: 2, theta_rad: 0.5 }),
      () => STILL,
    );
    assert.equal(firstStuck(trace), undefined);
    assert.equal(trace.at(-1)!.a.message, 'not stuck: the plans do not command motion');
  });

  it('reports a robot held in place while the plans command forward motion (odometry sees it)', () => {
    const hit = firstStuck(
      replay(
        12,
        () => ({ x_m: 0, y_m: 0, theta_rad: 0 }),
        () => FORWARD,
      ),
    );
    assert.ok(hit);
    assert.equal(hit.t_s, 8);
    assert.match(hit.a.message, /not moving although commanded to/);
  });

  it('restarts the timeout when the plans stop (no plan, or a gap the controller stops in)', () => {
    const held = () => ({ x_m: 0, y_m: 0, theta_rad: 0 });
    // A NoPlan at 5 s ends the run: the next one starts at 6 s, so stuck comes at 14 s, not 8 s.
    const noPlan = replay(16, held, (t) => (t === 5 ? null : FORWARD));
    assert.equal(firstStuck(noPlan)?.t_s, 14);
    // Plans only every 3 s (more than the 2 s gap): never a run of commanded motion.
    const sparse = replay(16, held, (t) => (t % 3 === 0 ? FORWARD : STILL));
    assert.equal(firstStuck(sparse), undefined);
  });

  describe('without odometry (dead reckoning of the plans)', () => {
    it('reports plans that only spin as stuck', () => {
      const hit = firstStuck(replay(12, null, () => SPIN));
      assert.ok(hit);
      assert.equal(hit.t_s, 8);
      assert.equal(hit.a.source, 'plans');
      assert.match(hit.a.message, /turning in place/);
    });

    it('counts forward plans as progress: 1 s of each 2 s plan executed per replan', () => {
      const trace = replay(12, null, () => FORWARD);
      assert.equal(firstStuck(trace), undefined);
      const last = trace.at(-1)!.a;
      assert.equal(last.source, 'plans');
      assert.ok(Math.abs(last.progress_m - 2.4) < 1e-9, `progress ${last.progress_m}`);
    });

    it('executes the step a replan interrupts as the arc up to the replan (plans every 1.1 s)', () => {
      const d = new StuckDetector(params);
      const period = 1_100_000_000n;
      for (let k = 0n; k <= 10n; k++) d.observePlan(planned(k * period, FORWARD));
      const a = d.assess(10n * period);
      // The window (3–11 s) starts from the plan at 2.2 s: 8 replans × 4.4 steps × 0.075 m.
      assert.equal(a.source, 'plans');
      assert.ok(Math.abs(a.progress_m - 8 * 4.4 * 0.075) < 1e-9, `progress ${a.progress_m}`);
    });

    it('does not count plans the controller refuses (non-finite step, 10 s steps) as commanded motion', () => {
      const nan = steps({ dx_m: Number.NaN, dy_m: 0, dtheta_rad: 0.2 });
      for (const plan of [
        (t: bigint) => planned(t, nan),
        (t: bigint) => planned(t, FORWARD, 10),
        (t: bigint) => planned(t, []),
      ]) {
        const d = new StuckDetector(params);
        for (let t = 0n; t <= 12n; t++) d.observePlan(plan(t * S));
        const a = d.assess(12n * S);
        assert.equal(a.stuck, false);
        assert.equal(a.message, 'not stuck: the plans do not command motion');
      }
    });

    it('reports alternating forward and backward plans as stuck', () => {
      const hit = firstStuck(replay(12, null, (t) => (t % 2 === 0 ? FORWARD : BACKWARD)));
      assert.ok(hit);
      assert.match(hit.a.message, /oscillating/);
    });
  });

  it('falls back from stale odometry to the plans', () => {
    const d = new StuckDetector(params);
    for (let t = 0; t <= 9; t++) {
      if (t <= 2) d.observeOdometry(BigInt(t) * S, { x_m: 0, y_m: 0, theta_rad: 0 });
      d.observePlan(planned(BigInt(t) * S, FORWARD));
    }
    const a = d.assess(9n * S);
    assert.equal(a.source, 'plans');
    assert.equal(a.stuck, false);
  });

  it('does not judge before the trace covers the whole window, and forgets everything on reset', () => {
    const d = new StuckDetector(params);
    for (let t = 0; t <= 9; t++) {
      if (t >= 3) d.observeOdometry(BigInt(t) * S, { x_m: 0, y_m: 0, theta_rad: 0 });
      d.observePlan(planned(BigInt(t) * S, FORWARD));
    }
    // Odometry from 3 s only: no pose at the window start (1 s).
    assert.match(d.assess(9n * S).message, /odometry do not cover the last 8\.0 s yet/);
    d.reset();
    assert.equal(d.assess(9n * S).message, 'not stuck: the plans do not command motion');
  });

  it('calls a plan "motion" from its path length or its turning', () => {
    const p = { motionPathM: 0.05, motionRotationRad: 0.1 };
    assert.equal(commandsMotion(STILL, p), false);
    assert.equal(commandsMotion(steps({ dx_m: 0.005, dy_m: 0.005, dtheta_rad: 0.01 }), p), true);
    assert.equal(commandsMotion(steps({ dx_m: 0.004, dy_m: 0, dtheta_rad: 0.01 }), p), false);
    assert.equal(commandsMotion([{ dx_m: 0, dy_m: 0, dtheta_rad: -0.1 }], p), true);
  });
});
