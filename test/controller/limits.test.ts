import { strict as assert } from 'node:assert';
import { clampVelocity, limitAcceleration, robotInPlanFrame, trackingCommand } from '../../src/controller';

const limits = { max_vx_mps: 0.5, min_vx_mps: -0.2, max_vy_mps: 0.3, max_wz_radps: 1.0 };
const accel = { max_ax_mps2: 1, max_ay_mps2: 0.5, max_alpha_radps2: 2 };

describe('velocity and acceleration limits', () => {
  it('leaves a twist inside the limits untouched', () => {
    const t = { vx_mps: 0.3, vy_mps: -0.1, wz_radps: 0.5 };
    assert.deepEqual(clampVelocity(t, limits), t);
  });

  it('scales all components by one factor so the arc keeps its curvature', () => {
    const out = clampVelocity({ vx_mps: 1.0, vy_mps: 0.1, wz_radps: 1.0 }, limits);
    assert.deepEqual(out, { vx_mps: 0.5, vy_mps: 0.05, wz_radps: 0.5 });
  });

  it('limits reversing by min_vx_mps and drops reversing when it is forbidden', () => {
    assert.deepEqual(clampVelocity({ vx_mps: -0.4, vy_mps: 0, wz_radps: 0.2 }, limits), {
      vx_mps: -0.2,
      vy_mps: 0,
      wz_radps: 0.1,
    });
    assert.deepEqual(
      clampVelocity({ vx_mps: -0.4, vy_mps: 0, wz_radps: 0.2 }, { ...limits, min_vx_mps: 0 }),
      {
        vx_mps: 0,
        vy_mps: 0,
        wz_radps: 0.2,
      },
    );
  });

  it('refuses non-finite twists instead of passing NaN on', () => {
    assert.throws(
      () => clampVelocity({ vx_mps: NaN, vy_mps: 0, wz_radps: 0 }, limits),
      /clampVelocity: non-finite twist vx=NaN m\/s/,
    );
    assert.throws(
      () =>
        limitAcceleration(
          { vx_mps: 0, vy_mps: 0, wz_radps: 0 },
          { vx_mps: 0, vy_mps: 0, wz_radps: 0 },
          NaN,
          accel,
        ),
      /dt_s = NaN/,
    );
  });

  it('moves each component towards the target by at most its limit times dt', () => {
    const prev = { vx_mps: 0.2, vy_mps: 0, wz_radps: 0 };
    const out = limitAcceleration(prev, { vx_mps: 0.5, vy_mps: -0.3, wz_radps: 0.05 }, 0.05, accel);
    assert.ok(Math.abs(out.vx_mps - 0.25) < 1e-12);
    assert.equal(out.vy_mps, -0.025);
    assert.equal(out.wz_radps, 0.05, 'reachable within the limit: exactly the target');
  });

  it('ends a ramp of equal steps exactly on the target despite rounding', () => {
    let v = { vx_mps: 0.4, vy_mps: 0, wz_radps: 0 };
    for (let i = 0; i < 8; i++) v = limitAcceleration(v, { vx_mps: 0, vy_mps: 0, wz_radps: 0 }, 0.05, accel);
    assert.equal(v.vx_mps, 0);
  });
});

describe('tracking law', () => {
  const sample = {
    pose: { x_m: 0.12, y_m: 0, theta_rad: 0 },
    twist: { vx_mps: 0.4, vy_mps: 0, wz_radps: 0 },
    step: 2,
  };
  const gains = { gain_xy_per_s: 2, gain_theta_per_s: 0.5 };

  it('is pure feed-forward without a robot pose', () => {
    assert.deepEqual(trackingCommand(sample, undefined, gains), { twist: sample.twist });
  });

  it('steers towards the reference seen from the robot, per axis', () => {
    const robot = robotInPlanFrame(
      { x_m: 1, y_m: 2, theta_rad: Math.PI / 2 },
      { x_m: 0.9, y_m: 2.3, theta_rad: Math.PI / 2 },
    );
    assert.ok(Math.abs(robot.x_m - 0.3) < 1e-12 && Math.abs(robot.y_m - 0.1) < 1e-12);
    const cmd = trackingCommand(sample, robot, gains);
    assert.ok(Math.abs(cmd.twist.vx_mps - (0.4 + 2 * -0.18)) < 1e-12);
    assert.ok(Math.abs(cmd.twist.vy_mps - 2 * -0.1) < 1e-12);
  });

  it('rotates the feed-forward into the robot frame and corrects the heading', () => {
    const robot = { x_m: 0.12, y_m: 0, theta_rad: -0.2 }; // on the path, turned 0.2 rad right of it
    const cmd = trackingCommand(sample, robot, gains);
    assert.ok(Math.abs(cmd.twist.vx_mps - 0.4 * Math.cos(0.2)) < 1e-12);
    assert.ok(Math.abs(cmd.twist.vy_mps - 0.4 * Math.sin(0.2)) < 1e-12);
    assert.ok(Math.abs(cmd.twist.wz_radps - 0.5 * 0.2) < 1e-12);
  });
});
