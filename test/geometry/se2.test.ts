import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  between,
  compose,
  groundPoseFromRos,
  integrateTwist,
  inverse,
  pointInFrame,
  quaternionFromYaw,
  twistBetween,
  wrapAngle,
  yawFromQuaternion,
  type Pose2D,
} from '../../src/geometry/se2';

const near = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol;
const samePose = (a: Pose2D, b: Pose2D, tol = 1e-9) =>
  near(a.x_m, b.x_m, tol) && near(a.y_m, b.y_m, tol) && near(wrapAngle(a.theta_rad - b.theta_rad), 0, tol);

const poseArb = fc.record({
  x_m: fc.double({ min: -50, max: 50, noNaN: true }),
  y_m: fc.double({ min: -50, max: 50, noNaN: true }),
  theta_rad: fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
});

describe('SE(2) math', () => {
  it('composes a step in the frame of the previous pose (REP-103: x forward, y left, CCW)', () => {
    const facingLeft = { x_m: 1, y_m: 0, theta_rad: Math.PI / 2 };
    const p = compose(facingLeft, { x_m: 1, y_m: 0, theta_rad: 0 });
    assert.ok(samePose(p, { x_m: 1, y_m: 1, theta_rad: Math.PI / 2 }), JSON.stringify(p));
  });

  it('inverts and relates poses consistently', () => {
    fc.assert(
      fc.property(poseArb, poseArb, (a, b) => {
        assert.ok(samePose(compose(a, inverse(a)), { x_m: 0, y_m: 0, theta_rad: 0 }));
        assert.ok(samePose(compose(a, between(a, b)), b, 1e-8));
      }),
    );
  });

  it('sees a point from a pose as between does, and composing the pose brings it back', () => {
    const facingLeft = { x_m: 1, y_m: 0, theta_rad: Math.PI / 2 };
    const ahead = pointInFrame(facingLeft, 1, 2); // 2 m along +y of the world is 2 m ahead of it
    assert.ok(near(ahead.x_m, 2) && near(ahead.y_m, 0), JSON.stringify(ahead));
    fc.assert(
      fc.property(poseArb, poseArb, (a, b) => {
        const q = pointInFrame(a, b.x_m, b.y_m);
        const viaBetween = between(a, b);
        assert.ok(near(q.x_m, viaBetween.x_m, 1e-8) && near(q.y_m, viaBetween.y_m, 1e-8));
        const back = compose(a, { ...q, theta_rad: 0 });
        assert.ok(near(back.x_m, b.x_m, 1e-8) && near(back.y_m, b.y_m, 1e-8));
      }),
    );
  });

  it('writes a heading as a unit quaternion about z that reads back as the same yaw', () => {
    assert.deepEqual(quaternionFromYaw(0), { x: 0, y: 0, z: 0, w: 1 });
    const half = quaternionFromYaw(Math.PI);
    assert.ok(near(half.z, 1) && near(half.w, 0));
    for (const yaw of [-3, -1, 0.5, 2, Math.PI]) {
      const q = quaternionFromYaw(yaw);
      assert.ok(near(Math.hypot(q.x, q.y, q.z, q.w), 1));
      assert.ok(near(wrapAngle(yawFromQuaternion(q) - yaw), 0), `yaw ${yaw}`);
    }
  });

  it('wraps angles into (−π, π], also for huge angles', () => {
    assert.equal(wrapAngle(-Math.PI), Math.PI);
    assert.ok(near(wrapAngle((3 * Math.PI) / 2), -Math.PI / 2));
    for (const huge of [1e300, -1e300, 4e15]) {
      const w = wrapAngle(huge);
      assert.ok(w > -Math.PI && w <= Math.PI, `${huge} → ${w}`);
      assert.ok(near(Math.sin(w), Math.sin(huge)) && near(Math.cos(w), Math.cos(huge)));
    }
  });

  it('finds the constant twist whose arc ends exactly on a step (log and exp are inverse)', () => {
    const step = fc.record({
      x_m: fc.double({ min: -1, max: 1, noNaN: true }),
      y_m: fc.double({ min: -1, max: 1, noNaN: true }),
      theta_rad: fc.double({ min: -3, max: 3, noNaN: true }),
    });
    fc.assert(
      fc.property(step, (s) => {
        assert.ok(samePose(integrateTwist(twistBetween(s, 0.25), 0.25), s, 1e-9));
      }),
    );
  });

  it('needs a sideways velocity to end a turning step on its waypoint', () => {
    const t = twistBetween({ x_m: 0.5, y_m: 0, theta_rad: 0.5 }, 0.25);
    assert.ok(near(t.wz_radps, 2));
    assert.ok(t.vy_mps < -0.4, `vy ${t.vy_mps}`);
    const straight = twistBetween({ x_m: 0.1, y_m: 0, theta_rad: 0 }, 0.25);
    assert.deepEqual(straight, { vx_mps: 0.4, vy_mps: 0, wz_radps: 0 });
  });

  it('reads yaw from a quaternion of any scale', () => {
    const q = { x: 0, y: 0, z: Math.sin(0.35), w: Math.cos(0.35) };
    assert.ok(near(yawFromQuaternion(q), 0.7));
    assert.ok(near(yawFromQuaternion({ x: 0, y: 0, z: 3 * q.z, w: 3 * q.w }), 0.7));
  });

  it('projects a ROS pose to the ground plane or names what is wrong with it', () => {
    const orientation = { x: 0, y: 0, z: 0, w: 1 };
    assert.deepEqual(groundPoseFromRos({ position: { x: 1, y: 2, z: 3 }, orientation }), {
      x_m: 1,
      y_m: 2,
      theta_rad: 0,
    });
    assert.deepEqual(groundPoseFromRos({ position: { x: 1, y: 2, z: Infinity }, orientation }), {
      error: 'position.z is Infinity',
    });
    assert.deepEqual(
      groundPoseFromRos({ position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 0 } }),
      { error: 'orientation quaternion has norm 0' },
    );
  });
});
