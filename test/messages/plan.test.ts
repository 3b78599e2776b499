import { strict as assert } from 'node:assert';
import { InvalidPlanError } from '../../src/geometry/trajectory';
import { plannedPathFromMsg, trajectoryFromPlanMsg } from '../../src/messages/plan';
import type { PlanMsg } from '../../src/messages/ros';
import { NS_PER_S } from '../../src/messages/time';
import { planMsg } from '../controller/fixtures';

const T0 = 60n * NS_PER_S + 250_000_000n;

function refusal(msg: PlanMsg): InvalidPlanError {
  try {
    plannedPathFromMsg(msg);
  } catch (err) {
    assert.ok(err instanceof InvalidPlanError, String(err));
    return err;
  }
  assert.fail('message was accepted');
}

describe('Plan message → domain plan', () => {
  it('carries identity, stamp, base frame, step duration and each step, without the input pose unless flagged', () => {
    const msg = planMsg({
      stampNs: T0,
      sequence: 9,
      episode_id: 'e7',
      dx_m: [0.1, 0.2],
      dy_m: [0, -0.05],
      dtheta_rad: [0.3, 0],
    });
    assert.deepEqual(plannedPathFromMsg(msg), {
      sequence: 9,
      episodeId: 'e7',
      stampNs: T0,
      baseFrameId: 'base_link',
      step_dt_s: 0.25,
      steps: [
        { dx_m: 0.1, dy_m: 0, dtheta_rad: 0.3 },
        { dx_m: 0.2, dy_m: -0.05, dtheta_rad: 0 },
      ],
    });
  });

  it('puts the input pose in the odometry frame it is given, odom by default', () => {
    const msg = planMsg({ stampNs: T0, dx_m: 0.1, inputPose: { x_m: 1.5, y_m: -2, theta_rad: 0.75 } });
    const framed = plannedPathFromMsg(msg, { odomFrameId: 'map' }).inputPose!;
    assert.equal(framed.frameId, 'map');
    assert.deepEqual([framed.pose.x_m, framed.pose.y_m], [1.5, -2]);
    assert.ok(Math.abs(framed.pose.theta_rad - 0.75) < 1e-12);
    assert.equal(plannedPathFromMsg(msg).inputPose!.frameId, 'odom');
  });

  it('reads Float32Array steps (as CDR decoding yields them) as plain numbers', () => {
    const msg = planMsg({ stampNs: T0, dx_m: [0.5], dy_m: [0], dtheta_rad: [0] });
    msg.dx_m = Float32Array.of(0.5);
    assert.deepEqual(plannedPathFromMsg(msg).steps, [{ dx_m: 0.5, dy_m: 0, dtheta_rad: 0 }]);
  });

  it('names the message field of a non-finite step', () => {
    const e = refusal(
      planMsg({ stampNs: T0, dx_m: [0.1, 0.1, NaN], dy_m: [0, 0, 0], dtheta_rad: [0, 0, 0] }),
    );
    assert.equal(e.field, 'dx_m[2]');
    assert.equal(e.message, 'invalid plan: dx_m[2] = NaN: not a finite number');
  });

  it('refuses an unusable stamp, a missing array, too many steps and a non-number step duration', () => {
    const badNanosec = planMsg({ stampNs: T0 });
    badNanosec.header.stamp.nanosec = 1e9;
    assert.equal(refusal(badNanosec).field, 'header.stamp.nanosec');
    const badSec = planMsg({ stampNs: T0 });
    badSec.header.stamp.sec = 1.5;
    assert.equal(refusal(badSec).message, 'invalid plan: header.stamp.sec = 1.5: not an integer');
    const missing = planMsg({ stampNs: T0 });
    (missing as unknown as Record<string, unknown>).dtheta_rad = undefined;
    assert.equal(refusal(missing).field, 'dtheta_rad');
    const long = new Array<number>(65).fill(0);
    assert.equal(
      refusal(planMsg({ stampNs: T0, dx_m: long, dy_m: long, dtheta_rad: long })).field,
      'dx_m.length',
    );
    const text = planMsg({ stampNs: T0 });
    (text as unknown as Record<string, unknown>).step_dt_s = '0.25';
    assert.equal(refusal(text).field, 'step_dt_s');
  });

  it('refuses an input pose with NaN, naming the pose field', () => {
    const e = refusal(planMsg({ stampNs: T0, inputPose: { x_m: NaN, y_m: 0, theta_rad: 0 } }));
    assert.equal(e.field, 'input_pose');
    assert.match(e.message, /position\.x is NaN$/);
  });

  it('leaves the step duration to the trajectory rules, which refuse it under the same name', () => {
    const msg = planMsg({ stampNs: T0, step_dt_s: 0 });
    assert.equal(plannedPathFromMsg(msg).step_dt_s, 0);
    assert.throws(
      () => trajectoryFromPlanMsg(msg),
      (e: unknown) => e instanceof InvalidPlanError && e.field === 'step_dt_s',
    );
  });
});
