import { strict as assert } from 'node:assert';
import {
  InvalidPlanError,
  netDisplacement,
  sampleTrajectory,
  trajectoryEndNs,
  trajectoryFromPlan,
} from '../../src/controller';
import { NS_PER_S } from '../../src/messages/time';
import { MS, planMsg } from '../controller/fixtures';

const T0 = 50n * NS_PER_S;
const near = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `expected ${b}, got ${a}`);

function rejection(fields: Parameters<typeof planMsg>[0]): InvalidPlanError {
  try {
    trajectoryFromPlan(planMsg(fields));
  } catch (err) {
    assert.ok(err instanceof InvalidPlanError, String(err));
    return err;
  }
  assert.fail('plan was accepted');
}

describe('trajectory from a plan', () => {
  it('chains each action in the frame of the previous step', () => {
    // Quarter turn left while stepping 1 m, then 1 m straight: ends at (1, 1) facing +y... in arcs.
    const tr = trajectoryFromPlan(
      planMsg({ stampNs: T0, dx_m: [1, 1], dy_m: [0, 0], dtheta_rad: [Math.PI / 2, 0], step_dt_s: 1 }),
    );
    const end = tr.waypoints[2]!;
    near(end.x_m, 1);
    near(end.y_m, 1);
    near(end.theta_rad, Math.PI / 2);
    assert.equal(trajectoryEndNs(tr), T0 + 2n * NS_PER_S);
    assert.deepEqual(netDisplacement(tr), { distance_m: Math.SQRT2, rotation_rad: Math.PI / 2 });
  });

  it('skips the elapsed part: the reference at stamp + 0.6 s is 0.1 s into step 2', () => {
    const tr = trajectoryFromPlan(planMsg({ stampNs: T0, dx_m: [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] }));
    const s = sampleTrajectory(tr, T0 + 600n * MS)!;
    assert.equal(s.step, 2);
    near(s.pose.x_m, 0.1 + 0.4 * 0.1);
    near(s.twist.vx_mps, 0.4);
  });

  it('follows the arc of a turning step between waypoints', () => {
    const tr = trajectoryFromPlan(planMsg({ stampNs: T0, dx_m: 0.1, dtheta_rad: 0.2 }));
    const half = sampleTrajectory(tr, T0 + 125n * MS)!;
    near(half.pose.theta_rad, 0.1);
    // A constant body twist (vx, vy, ω) circles the centre (−vy/ω, vx/ω) of the start frame.
    const { vx_mps, vy_mps, wz_radps } = tr.twists[0]!;
    const centre = { x: -vy_mps / wz_radps, y: vx_mps / wz_radps };
    const radius = Math.hypot(centre.x, centre.y);
    near(Math.hypot(half.pose.x_m - centre.x, half.pose.y_m - centre.y), radius, 1e-12);
    near(Math.hypot(tr.waypoints[1]!.x_m - centre.x, tr.waypoints[1]!.y_m - centre.y), radius, 1e-12);
  });

  it('holds a plan stamped in the future at its start and ends it on time', () => {
    const tr = trajectoryFromPlan(planMsg({ stampNs: T0, dx_m: 0.1 }));
    assert.deepEqual(sampleTrajectory(tr, T0 - NS_PER_S)!.pose, { x_m: 0, y_m: 0, theta_rad: 0 });
    assert.equal(sampleTrajectory(tr, T0 + 2n * NS_PER_S - 1n)!.step, 7);
    assert.equal(sampleTrajectory(tr, T0 + 2n * NS_PER_S), undefined);
  });

  it('names the field and value of a non-finite action', () => {
    const e = rejection({ stampNs: T0, dy_m: [0, 0, 0, 0, 0, -Infinity, 0, 0] });
    assert.equal(e.field, 'dy_m[5]');
    assert.equal(e.message, 'invalid plan: dy_m[5] = -Infinity: not a finite number');
  });

  it('rejects actions so large that chaining them overflows', () => {
    const e = rejection({ stampNs: T0, dx_m: 1e308 });
    assert.match(e.field, /^(waypoint\[\d\]|twist\[\d\])$/);
  });

  it('rejects mismatched lengths, empty plans and impossible step durations', () => {
    assert.match(
      rejection({ stampNs: T0, dx_m: [0.1, 0.1], dy_m: [0], dtheta_rad: [0, 0] }).message,
      /dy_m.length\/dtheta_rad.length = \[1,2\]: must equal dx_m.length 2/,
    );
    assert.equal(rejection({ stampNs: T0, dx_m: [], dy_m: [], dtheta_rad: [] }).field, 'dx_m.length');
    for (const step_dt_s of [0, -0.25, NaN, 1e9]) {
      assert.equal(rejection({ stampNs: T0, step_dt_s }).field, 'step_dt_s');
    }
  });

  it('rejects an input pose without a usable orientation', () => {
    const plan = planMsg({ stampNs: T0, inputPose: { x_m: 0, y_m: 0, theta_rad: 0 } });
    plan.input_pose.orientation = { x: 0, y: 0, z: 0, w: 0 };
    assert.throws(() => trajectoryFromPlan(plan), /input_pose = .*quaternion has norm 0/);
  });
});
