import { strict as assert } from 'node:assert';
import { odometrySampleFromMsg } from '../../src/messages/odometry';
import type { Odometry } from '../../src/messages/ros';
import { NS_PER_S } from '../../src/messages/time';
import { twistFromBody } from '../../src/messages/twist';
import { odometryMsg } from '../controller/fixtures';

const T0 = 70n * NS_PER_S + 5n;

function moving(): Odometry {
  const msg = odometryMsg({ x_m: 3, y_m: -1, theta_rad: Math.PI / 2 }, T0);
  msg.twist.twist = { linear: { x: 0.4, y: -0.1, z: 9 }, angular: { x: 7, y: 8, z: 0.3 } };
  return msg;
}

describe('Odometry message → odometry sample', () => {
  it('projects the pose onto the ground and keeps the planar body twist, stamped by the header', () => {
    const sample = odometrySampleFromMsg(moving());
    assert.ok(!('error' in sample), 'error' in sample ? sample.error : '');
    assert.equal(sample.stampNs, T0);
    assert.deepEqual([sample.pose.x_m, sample.pose.y_m], [3, -1]);
    assert.ok(Math.abs(sample.pose.theta_rad - Math.PI / 2) < 1e-12);
    assert.deepEqual(sample.twist, { vx_mps: 0.4, vy_mps: -0.1, wz_radps: 0.3 });
  });

  it('takes the stamp it is given (a bag log time) over the header', () => {
    const sample = odometrySampleFromMsg(moving(), 5n);
    assert.ok(!('error' in sample));
    assert.equal(sample.stampNs, 5n);
  });

  it('names a NaN in the pose, a degenerate quaternion, an infinite twist and a bad stamp', () => {
    const nanPose = odometryMsg({ x_m: 0, y_m: NaN, theta_rad: 0 }, T0);
    assert.deepEqual(odometrySampleFromMsg(nanPose), { error: 'pose position.y is NaN' });
    const flat = moving();
    flat.pose.pose.orientation = { x: 0, y: 0, z: 0, w: 0 };
    assert.deepEqual(odometrySampleFromMsg(flat), { error: 'pose orientation quaternion has norm 0' });
    const spinning = moving();
    spinning.twist.twist.angular.z = -Infinity;
    assert.deepEqual(odometrySampleFromMsg(spinning), { error: 'twist wz_radps is -Infinity' });
    const late = moving();
    late.header.stamp.nanosec = -1;
    assert.deepEqual(odometrySampleFromMsg(late), { error: 'header.stamp.nanosec is -1' });
  });
});

describe('body twist → Twist message', () => {
  it('puts the planar components in place and zeroes the rest', () => {
    assert.deepEqual(twistFromBody({ vx_mps: 0.5, vy_mps: -0.2, wz_radps: 0.7 }), {
      linear: { x: 0.5, y: -0.2, z: 0 },
      angular: { x: 0, y: 0, z: 0.7 },
    });
  });
});
