import { strict as assert } from 'node:assert';
import { evaluateRun, trajectoryErrors } from '../../src/eval/metrics';
import { OdometryTrack } from '../../src/eval/odometry';
import { NS_PER_S } from '../../src/messages/time';
import { closeTo, odometry, planMsg } from '../viz/fixtures';
import { arcPose, at, emptyInput, odometryTrack, plannerStatus } from './fixtures';

describe('eval trajectory metrics', () => {
  it('scores a plan that predicts the motion the robot made with zero ADE, FDE and heading error', () => {
    // Driving +y in odom (heading π/2) from (5, 2) at 0.4 m/s: 0.1 m per 0.25 s step, straight ahead.
    const odom = odometryTrack(0, 10, 50, arcPose({ x_m: 5, y_m: 2, theta_rad: Math.PI / 2 }, 0.4, 0));
    const report = evaluateRun(
      emptyInput({ odometry: odom, plans: [planMsg({ stampNs: at(3.01), dx_m: 0.1 })] }),
    );
    assert.equal(report.plans.length, 1);
    const row = report.plans[0]!;
    closeTo(row.ade_m, 0, 1e-9, 'ADE');
    closeTo(row.fde_m, 0, 1e-9, 'FDE');
    closeTo(row.final_heading_error_rad, 0, 1e-9, 'heading');
    closeTo(row.actual_distance_m, 0.8, 1e-9, 'actual distance');
    assert.equal(row.steps, 8);
  });

  it('measures a plan that predicts half the distance: ADE = mean of 0.05·k, FDE = 0.4 m', () => {
    const odom = odometryTrack(0, 10, 50, arcPose({ x_m: 0, y_m: 0, theta_rad: 0.3 }, 0.4, 0));
    const report = evaluateRun(
      emptyInput({ odometry: odom, plans: [planMsg({ stampNs: at(2), dx_m: 0.05 })] }),
    );
    const row = report.plans[0]!;
    closeTo(row.ade_m, 0.05 * 4.5, 1e-9, 'ADE');
    closeTo(row.fde_m, 0.4, 1e-9, 'FDE');
    closeTo(row.predicted_distance_m, 0.4, 1e-9, 'predicted distance');
  });

  it('follows an arc through ±π: a plan turning like the robot has no heading error, one going straight has −1 rad', () => {
    // Starting at θ = 3.0 and turning 0.5 rad/s, the heading wraps past π inside the window.
    const arc = arcPose({ x_m: 1, y_m: 1, theta_rad: 3.0 }, 0.4, 0.5);
    const odom = odometryTrack(0, 6, 100, arc);
    const step = { x_m: 0, y_m: 0, theta_rad: 0 };
    // The exact per-step motion on the arc: chord of 0.25 s at radius 0.8 m.
    const dth = 0.125;
    step.x_m = 0.8 * Math.sin(dth);
    step.y_m = 0.8 * (1 - Math.cos(dth));
    const turning = planMsg({ stampNs: at(1), sequence: 1, dx_m: step.x_m, dy_m: step.y_m, dtheta_rad: dth });
    const straight = planMsg({ stampNs: at(1), sequence: 2, dx_m: 0.1 });
    const [a, b] = evaluateRun(emptyInput({ odometry: odom, plans: [turning, straight] })).plans;
    // Linear interpolation between 10 ms odometry samples of an arc is off by micrometres.
    closeTo(a!.fde_m, 0, 1e-5, 'FDE of the turning plan');
    closeTo(a!.final_heading_error_rad, 0, 1e-9, 'heading error of the turning plan');
    closeTo(b!.final_heading_error_rad, -1, 1e-9, 'heading error of the straight plan');
  });

  it('wraps the heading error into (−π, π]', () => {
    const e = trajectoryErrors(
      [
        { x_m: 0, y_m: 0, theta_rad: 0 },
        { x_m: 0, y_m: 0, theta_rad: 3.1 },
      ],
      [
        { x_m: 0, y_m: 0, theta_rad: 0 },
        { x_m: 0, y_m: 0, theta_rad: -3.1 },
      ],
    );
    closeTo(e.final_heading_error_rad, 6.2 - 2 * Math.PI, 1e-12, 'wrapped error');
    assert.throws(() => trajectoryErrors([{ x_m: 0, y_m: 0, theta_rad: 0 }], []), /at least 2, got 1 and 0/);
  });

  it('skips and counts plans whose 2 s window odometry does not cover, saying why', () => {
    const pose = arcPose({ x_m: 0, y_m: 0, theta_rad: 0 }, 0.4, 0);
    const odom = [...odometryTrack(0, 4, 50, pose), ...odometryTrack(5, 10, 50, pose)];
    const plans = [
      planMsg({ stampNs: at(1), sequence: 1, dx_m: 0.1 }),
      planMsg({ stampNs: at(3.5), sequence: 2, dx_m: 0.1 }), // window 3.5–5.5 s spans the 1 s gap
      planMsg({ stampNs: at(9), sequence: 3, dx_m: 0.1 }), // window ends after the odometry
      planMsg({ stampNs: at(-1), sequence: 4, dx_m: 0.1 }), // starts before it
    ];
    const report = evaluateRun(emptyInput({ odometry: odom, plans }));
    assert.deepEqual(
      report.plans.map((p) => p.sequence),
      [1],
    );
    assert.deepEqual(
      report.skipped.map((s) => [s.sequence, s.reason]),
      [
        [2, 'odometry_not_covered'],
        [3, 'odometry_not_covered'],
        [4, 'odometry_not_covered'],
      ],
    );
    assert.match(
      report.skipped[0]!.detail,
      /odometry gap of 1\.000 s after 1700000004\.000 s \(limit 0\.5 s\)/,
    );
    assert.match(
      report.skipped[1]!.detail,
      /odometry ends at 1700000010\.000 s, before the window end 1700000011\.000 s/,
    );
    assert.match(report.skipped[2]!.detail, /odometry starts at 1700000000\.000 s, after the window start/);
    assert.deepEqual(report.summary.skipped_by_reason, { odometry_not_covered: 3 });
    assert.equal(report.summary.plans_total, 4);
  });

  it('rejects NaN odometry with a note naming the topic and time, and still evaluates across the hole', () => {
    const odom = odometryTrack(0, 5, 50, arcPose({ x_m: 0, y_m: 0, theta_rad: 0 }, 0.4, 0));
    const bad = at(2.5);
    const i = odom.findIndex((o) => o.stampNs === bad);
    odom[i] = { stampNs: bad, msg: odometry(bad, { x_m: NaN, y_m: 0, theta_rad: 0 }) };
    const j = i + 5;
    odom[j] = {
      stampNs: odom[j]!.stampNs,
      msg: odometry(odom[j]!.stampNs, { x_m: 1, y_m: 0, theta_rad: 0 }, { wz: Infinity }),
    };
    const report = evaluateRun(
      emptyInput({ odometry: odom, plans: [planMsg({ stampNs: at(2), dx_m: 0.1 })] }),
      {
        odomTopic: '/go2/odom',
      },
    );
    assert.deepEqual(report.notes, [
      'rejected /go2/odom at 1700000002.500 s: pose position.x is NaN',
      'rejected /go2/odom at 1700000002.600 s: twist wz_radps is Infinity',
    ]);
    assert.equal(report.summary.odometry.rejected, 2);
    assert.equal(report.plans.length, 1);
    closeTo(report.plans[0]!.fde_m, 0, 1e-9, 'FDE');
  });

  it('caps repeated notes and counts the rest', () => {
    const odom = odometryTrack(0, 2, 50, () => ({ x_m: NaN, y_m: 0, theta_rad: 0 }));
    const report = evaluateRun(emptyInput({ odometry: odom }));
    assert.equal(report.notes.length, 21);
    assert.equal(report.notes[20], '… and 81 more rejected /odom samples');
  });

  it('skips an invalid plan with the controller’s reason', () => {
    const odom = odometryTrack(0, 5, 50, () => ({ x_m: 0, y_m: 0, theta_rad: 0 }));
    const report = evaluateRun(
      emptyInput({ odometry: odom, plans: [planMsg({ stampNs: at(1), n: 2, dx_m: [0.1, NaN] })] }),
    );
    assert.equal(report.skipped[0]!.reason, 'invalid_plan');
    assert.match(report.skipped[0]!.detail, /dx_m\[1\] = NaN/);
  });

  it('takes plan latency from the plan, else from the status of the same plan, over skipped plans too', () => {
    const plans = [0.4, 0.5, 0.6, 0.7, 0.0].map((latency_s, k) =>
      planMsg({ stampNs: at(k), sequence: k, dx_m: 0.1, latency_s }),
    );
    const statuses = [plannerStatus(4, 4.9, 900)];
    const report = evaluateRun(emptyInput({ plans, plannerStatuses: statuses }));
    assert.equal(report.plans.length, 0, 'no odometry: every plan is skipped');
    assert.deepEqual(
      report.skipped.map((s) => s.latency_s),
      [0.4, 0.5, 0.6, 0.7, 0.9],
    );
    const lat = report.summary.plan_latency_s!;
    assert.equal(lat.count, 5);
    closeTo(lat.p50, 0.6, 1e-12, 'p50');
    // Linear interpolation: position 0.95·4 = 3.8 between 0.7 and 0.9.
    closeTo(lat.p95, 0.7 + 0.8 * 0.2, 1e-12, 'p95');
    closeTo(report.summary.stage_latency_ms!.dit_ms!.p50, 630, 1e-9, 'dit p50');
  });

  it('interpolates odometry poses, turning the short way across ±π', () => {
    const track = OdometryTrack.fromMessages(
      [
        { stampNs: 2n * NS_PER_S, msg: odometry(0n, { x_m: 2, y_m: 0, theta_rad: -3.0 }) },
        { stampNs: 1n * NS_PER_S, msg: odometry(0n, { x_m: 0, y_m: 2, theta_rad: 3.0 }) },
      ],
      '/odom',
    );
    const mid = track.poseAt(1_500_000_000n)!;
    closeTo(mid.x_m, 1, 1e-12, 'x');
    closeTo(mid.y_m, 1, 1e-12, 'y');
    closeTo(Math.abs(mid.theta_rad), Math.PI, 1e-9, 'θ through π, not through 0');
    assert.equal(track.poseAt(500_000_000n), undefined);
    assert.equal(track.poseAt(2_500_000_000n), undefined);
  });
});
