import { strict as assert } from 'node:assert';
import {
  InvalidPlanError,
  netDisplacement,
  samplePath,
  sampleTrajectory,
  trajectoryEndNs,
  trajectoryFromPlan,
  type PlannedPath,
} from '../../src/geometry/trajectory';
import { trajectoryFromPlanMsg } from '../../src/messages/plan';
import { NS_PER_S } from '../../src/messages/time';
import { MS, planMsg } from '../controller/fixtures';

const T0 = 50n * NS_PER_S;
const near = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `expected ${b}, got ${a}`);

function rejection(fields: Parameters<typeof planMsg>[0]): InvalidPlanError {
  try {
    trajectoryFromPlanMsg(planMsg(fields));
  } catch (err) {
    assert.ok(err instanceof InvalidPlanError, String(err));
    return err;
  }
  assert.fail('plan was accepted');
}

describe('trajectory from a Plan message', () => {
  it('chains each action in the frame of the previous step', () => {
    // Quarter turn left while stepping 1 m, then 1 m straight: ends at (1, 1) facing +y... in arcs.
    const tr = trajectoryFromPlanMsg(
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
    const tr = trajectoryFromPlanMsg(
      planMsg({ stampNs: T0, dx_m: [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] }),
    );
    const s = sampleTrajectory(tr, T0 + 600n * MS)!;
    assert.equal(s.step, 2);
    near(s.pose.x_m, 0.1 + 0.4 * 0.1);
    near(s.twist.vx_mps, 0.4);
  });

  it('follows the arc of a turning step between waypoints', () => {
    const tr = trajectoryFromPlanMsg(planMsg({ stampNs: T0, dx_m: 0.1, dtheta_rad: 0.2 }));
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
    const tr = trajectoryFromPlanMsg(planMsg({ stampNs: T0, dx_m: 0.1 }));
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
    assert.throws(() => trajectoryFromPlanMsg(plan), /input_pose = .*quaternion has norm 0/);
  });
});

/** A domain plan of identical steps, as the planner builds one in process. */
function plannedPath(change: Partial<PlannedPath> = {}): PlannedPath {
  const step = { dx_m: 0.1, dy_m: 0, dtheta_rad: 0 };
  return {
    sequence: 4,
    episodeId: 'episode-1',
    stampNs: T0,
    baseFrameId: 'base_link',
    step_dt_s: 0.25,
    steps: new Array(8).fill(step),
    ...change,
  };
}

function domainRejection(plan: PlannedPath): InvalidPlanError {
  try {
    trajectoryFromPlan(plan);
  } catch (err) {
    assert.ok(err instanceof InvalidPlanError, String(err));
    return err;
  }
  assert.fail('plan was accepted');
}

describe('trajectory from a domain plan', () => {
  it("keeps the plan's identity and frames and chains its steps", () => {
    const inputPose = { frameId: 'odom', pose: { x_m: 2, y_m: 1, theta_rad: 0.5 } };
    const tr = trajectoryFromPlan(plannedPath({ inputPose }));
    assert.deepEqual(
      [tr.sequence, tr.episodeId, tr.stampNs, tr.baseFrameId, tr.stepNs, tr.step_dt_s],
      [4, 'episode-1', T0, 'base_link', 250n * MS, 0.25],
    );
    assert.deepEqual(tr.inputPose, inputPose);
    assert.equal(tr.waypoints.length, 9);
    near(tr.waypoints[8]!.x_m, 0.8, 1e-12);
    assert.deepEqual(tr.twists[0], { vx_mps: 0.4, vy_mps: 0, wz_radps: 0 });
  });

  it('names a non-finite step by its index and component', () => {
    const steps = plannedPath().steps.map((s, k) => (k === 3 ? { ...s, dtheta_rad: NaN } : s));
    const e = domainRejection(plannedPath({ steps }));
    assert.equal(e.field, 'steps[3].dtheta_rad');
    assert.equal(e.message, 'invalid plan: steps[3].dtheta_rad = NaN: not a finite number');
  });

  it('refuses no steps, too many steps, a bad step duration and a non-finite input pose', () => {
    assert.equal(domainRejection(plannedPath({ steps: [] })).field, 'steps.length');
    const many = new Array(65).fill({ dx_m: 0, dy_m: 0, dtheta_rad: 0 });
    assert.equal(
      domainRejection(plannedPath({ steps: many })).message,
      'invalid plan: steps.length = 65: must be in [1, 64]',
    );
    for (const step_dt_s of [0, NaN, 6]) {
      assert.equal(domainRejection(plannedPath({ step_dt_s })).field, 'step_dt_s');
    }
    const inputPose = { frameId: 'odom', pose: { x_m: 0, y_m: Infinity, theta_rad: 0 } };
    assert.equal(domainRejection(plannedPath({ inputPose })).field, 'inputPose');
  });
});

describe('sampling a trajectory along its arcs', () => {
  it('samples turning steps along their arcs, passing through every waypoint', () => {
    const turn = trajectoryFromPlanMsg(
      planMsg({ stampNs: T0, dx_m: [0.2, 0.2], dy_m: [0, 0], dtheta_rad: [0.4, 0.4] }),
    );
    const s = samplePath(turn, 4);
    assert.equal(s.length, 9);
    assert.deepEqual(s[4]!.pose, turn.waypoints[1]);
    near(s[8]!.t_s, 0.5, 1e-12);
    // Midway through the first arc the heading is half the step's turn.
    near(s[2]!.pose.theta_rad, 0.2, 1e-12);
    assert.throws(() => samplePath(turn, 0), /positive integer, got 0/);
  });
});
