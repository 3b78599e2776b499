import { strict as assert } from 'node:assert';
import {
  commandJerk,
  commandSamples,
  stopEvents,
  stopRows,
  type StampedControllerStatus,
} from '../../src/eval/commands';
import { evaluateRun } from '../../src/eval/metrics';
import { OdometryTrack } from '../../src/eval/odometry';
import { closeTo } from '../viz/fixtures';
import { at, commands, emptyInput, odometryTrack, twist } from './fixtures';

const STOP_OPTIONS = { stillLinear_mps: 0.05, stillAngular_radps: 0.1, stopWindow_s: 5 };

describe('eval command smoothness and stops', () => {
  it('gives jerk 1 for vx = t²/2 and 0 for a constant wz, evenly spaced at 20 Hz', () => {
    const { samples } = commandSamples(
      commands(0, 2, 20, (t) => twist(0.5 * t * t, 0.3)),
      '/cmd_vel',
    );
    const j = commandJerk(samples, 0.25);
    assert.equal(j.samples, 39);
    closeTo(j.vx_mps3!, 1, 1e-6, 'vx jerk');
    closeTo(j.wz_radps3!, 0, 1e-9, 'wz jerk');
    closeTo(j.vy_mps3!, 0, 1e-12, 'vy jerk');
  });

  it('is exact for unevenly spaced commands and leaves out triples across a pause', () => {
    const times = [0, 0.04, 0.1, 0.13, 0.2, 1.2, 1.25, 1.3];
    const cmds = times.map((t) => ({ timeNs: at(t), twist: twist(0, 0, -1.5 * t * t) }));
    const j = commandJerk(commandSamples(cmds, '/cmd_vel').samples, 0.25);
    // Triples around the 1 s pause (0.13–0.2–1.2, 0.2–1.2–1.25) are skipped: 6 − 2 = 4.
    assert.equal(j.samples, 4);
    closeTo(j.vy_mps3!, 3, 1e-6, 'vy jerk');
    assert.deepEqual(commandJerk([], 0.25), { samples: 0, vx_mps3: null, vy_mps3: null, wz_radps3: null });
  });

  it('sorts commands by time and rejects non-finite ones with a note naming the topic and time', () => {
    const { samples, rejected } = commandSamples(
      [
        { timeNs: at(1), twist: twist(0.2) },
        { timeNs: at(0.5), twist: twist(NaN) },
        { timeNs: at(0), twist: twist(0.1) },
      ],
      '/cmd_vel',
    );
    assert.deepEqual(
      samples.map((s) => s.vx),
      [0.1, 0.2],
    );
    assert.deepEqual(rejected, ['rejected /cmd_vel at 1700000000.500 s: vx is NaN']);
  });

  it('times a stop announced by the controller to stillness and to the first zero Twist, counting it once', () => {
    // Moving at 0.4 m/s until the arrival stop at 10 s; commands ramp down to zero at 10.5 s; the robot's
    // odometry speed follows 0.3 s later.
    const cmdSpeed = (t: number) => (t < 10 ? 0.4 : Math.max(0, 0.4 - 0.8 * (t - 10)));
    const cmds = commands(8, 14, 20, (t) => twist(Math.round(cmdSpeed(t) * 1e9) / 1e9));
    const odom = odometryTrack(
      8,
      14,
      50,
      () => ({ x_m: 0, y_m: 0, theta_rad: 0 }),
      (t) => ({
        vx: t < 10.3 ? 0.4 : Math.max(0, 0.4 - 0.8 * (t - 10.3)),
      }),
    );
    const statuses: StampedControllerStatus[] = [
      { timeNs: at(8), state: 'moving', stopKind: null },
      { timeNs: at(10), state: 'stopping', stopKind: 'arrived' },
      { timeNs: at(10.5), state: 'stopped', stopKind: 'arrived' },
    ];
    const report = evaluateRun(emptyInput({ commands: cmds, odometry: odom, controllerStatuses: statuses }));
    assert.equal(report.stops.length, 1);
    const stop = report.stops[0]!;
    assert.equal(stop.source, 'controller_status');
    assert.equal(stop.reason, 'arrived');
    closeTo(stop.zero_twist_after_s!, 0.5, 1e-9, 'zero Twist after');
    // Speed 0.4 − 0.8·(t − 10.3) < 0.05 from t > 10.7375: the first 50 Hz sample is 10.74.
    closeTo(stop.time_to_still_s!, 0.74, 1e-9, 'still after');
    assert.equal(report.summary.stops.reached_still, 1);
    assert.equal(report.summary.stops.with_zero_twist, 1);
  });

  it('finds stops in the command stream alone when no status announced them, and reports a robot that never stops', () => {
    const cmds = commands(0, 6, 20, (t) => twist(t < 2 || (t >= 3 && t < 4) ? 0.3 : 0));
    const odom = odometryTrack(
      0,
      6,
      50,
      () => ({ x_m: 0, y_m: 0, theta_rad: 0 }),
      (t) => ({ vx: t < 2.2 ? 0.3 : 0, wz: t >= 4 ? 0.5 : 0 }),
    );
    const track = OdometryTrack.fromMessages(odom, '/odom');
    const samples = commandSamples(cmds, '/cmd_vel').samples;
    const events = stopEvents([], samples);
    assert.deepEqual(
      events.map((e) => [e.source, Number((e.timeNs - at(0)) / 1_000_000n)]),
      [
        ['zero_command', 2000],
        ['zero_command', 4000],
      ],
    );
    const rows = stopRows(events, samples, track, STOP_OPTIONS);
    closeTo(rows[0]!.time_to_still_s!, 0.2, 1e-9, 'first stop still after');
    assert.equal(rows[0]!.zero_twist_after_s, 0);
    // Still turning at 0.5 rad/s after the second stop: never still within the window.
    assert.equal(rows[1]!.time_to_still_s, null);
  });

  it('reports a stop after which no zero Twist came', () => {
    const cmds = commands(0, 3, 20, () => twist(0.2));
    const statuses: StampedControllerStatus[] = [
      { timeNs: at(0), state: 'moving', stopKind: null },
      { timeNs: at(1), state: 'stopped', stopKind: 'estop' },
    ];
    const report = evaluateRun(emptyInput({ commands: cmds, controllerStatuses: statuses }));
    assert.equal(report.stops.length, 1);
    assert.equal(report.stops[0]!.zero_twist_after_s, null);
    assert.equal(report.stops[0]!.time_to_still_s, null);
    assert.equal(report.summary.stops.with_zero_twist, 0);
  });

  it('does not count the initial waiting state as a stop, only leaving motion', () => {
    const statuses: StampedControllerStatus[] = [
      { timeNs: at(0), state: 'stopped', stopKind: 'waiting_for_plan' },
      { timeNs: at(1), state: 'moving', stopKind: null },
      { timeNs: at(2), state: 'stopped', stopKind: 'plan_timeout' },
      { timeNs: at(2.5), state: 'stopped', stopKind: 'plan_timeout' },
    ];
    const events = stopEvents(statuses, []);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['plan_timeout'],
    );
  });
});
