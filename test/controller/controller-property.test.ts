import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { IMMEDIATE_STOP_KINDS, type StopKind } from '../../src/controller';
import type { Twist } from '../../src/messages/ros';
import { secondsToNs, type TimeNs } from '../../src/messages/time';
import type { PublishedMessage } from '../../src/transport/memory';
import { Rig, type ControllerStatusJson } from './fixtures';

interface Limits {
  max_vx_mps: number;
  min_vx_mps: number;
  max_vy_mps: number;
  max_wz_radps: number;
  max_ax_mps2: number;
  max_ay_mps2: number;
  max_alpha_radps2: number;
}

/**
 * The contract on what reaches the robot, checked over everything the node published, in order: every Twist is
 * finite and inside the velocity limits; consecutive Twists differ by at most the acceleration limits times
 * their time apart, except a jump to exactly zero while the status says "stopped" for an immediate reason
 * (e-stop, shutdown, rejected input, lost planner or camera). Returns the violations found.
 */
function twistContractViolations(
  published: readonly PublishedMessage[],
  topics: { cmd_vel: string; status: string },
  limits: Limits,
): string[] {
  const violations: string[] = [];
  const tol = 1e-9;
  let status: ControllerStatusJson | undefined;
  let previous: { t: TimeNs; v: [number, number, number] } = { t: -1n, v: [0, 0, 0] };
  for (const m of published) {
    if (m.topic === topics.status)
      status = JSON.parse((m.message as { data: string }).data) as ControllerStatusJson;
    if (m.topic !== topics.cmd_vel) continue;
    const tw = m.message as Twist;
    const v: [number, number, number] = [tw.linear.x, tw.linear.y, tw.angular.z];
    const at = `Twist at ${m.timeNs} ns ${JSON.stringify(v)}`;
    if (!v.every(Number.isFinite) || ![tw.linear.z, tw.angular.x, tw.angular.y].every((x) => x === 0)) {
      violations.push(`${at}: not finite or not planar`);
      continue;
    }
    if (v[0] > limits.max_vx_mps + tol || v[0] < limits.min_vx_mps - tol)
      violations.push(`${at}: vx out of limits`);
    if (Math.abs(v[1]) > limits.max_vy_mps + tol) violations.push(`${at}: vy out of limits`);
    if (Math.abs(v[2]) > limits.max_wz_radps + tol) violations.push(`${at}: wz out of limits`);
    const dt_s = previous.t < 0n ? 0 : Number(m.timeNs - previous.t) / 1e9;
    const rates = [limits.max_ax_mps2, limits.max_ay_mps2, limits.max_alpha_radps2];
    const jump = v.some((x, i) => Math.abs(x - previous.v[i]!) > rates[i]! * dt_s + tol);
    if (jump) {
      const immediate =
        v.every((x) => x === 0) &&
        status?.state === 'stopped' &&
        IMMEDIATE_STOP_KINDS.has(status.stop_reason?.kind as StopKind);
      if (!immediate) {
        violations.push(
          `${at}: exceeds acceleration limits after ${JSON.stringify(previous.v)} (status ${status?.state}/${status?.stop_reason?.kind})`,
        );
      }
    }
    previous = { t: m.timeNs, v };
  }
  return violations;
}

// fc.double piles up near 0 and the range ends; integers in mm spread ordinary values more evenly.
const small = fc.integer({ min: -300, max: 300 }).map((mm) => mm / 1000);
const wild = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, 3.4e38, -0, 1e-320),
  fc.double(), // anything a double can be
);
// Most plans and poses are ordinary; a minority carry non-finite or absurd numbers somewhere.
const corrupted = <T>(clean: fc.Arbitrary<T>, dirty: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: clean }, { weight: 1, arbitrary: dirty });
const steps = corrupted(
  fc.array(small, { minLength: 8, maxLength: 8 }),
  fc.array(fc.oneof({ weight: 3, arbitrary: small }, { weight: 1, arbitrary: wild }), {
    minLength: 8,
    maxLength: 8,
  }),
);
const coordinate = fc.double({ min: -5, max: 5, noNaN: true });
const pose = corrupted(
  fc.record({ x_m: coordinate, y_m: coordinate, theta_rad: coordinate }),
  fc.record({
    x_m: fc.oneof(coordinate, wild),
    y_m: fc.oneof(coordinate, wild),
    theta_rad: fc.oneof(coordinate, wild),
  }),
);

const event = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      dx_m: steps,
      dy_m: steps,
      dtheta_rad: steps,
      stampOffset_s: fc.double({ min: -2.5, max: 0.5, noNaN: true }),
      step_dt_s: fc.oneof({ weight: 8, arbitrary: fc.constant(0.25) }, { weight: 1, arbitrary: fc.double() }),
      inputPose: fc.option(pose),
      episode_id: fc.constantFrom('e1', 'e2'),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('odometry' as const), pose }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('estop' as const), engaged: fc.boolean() }) },
  // Faults are drawn rarer than recoveries so that most runs spend time moving, which is what is under test.
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), on: fc.constantFrom(true, true, false) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('camera' as const),
      age_s: fc.oneof(
        { weight: 3, arbitrary: fc.double({ min: 0, max: 0.9, noNaN: true }) },
        { weight: 1, arbitrary: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constant(NaN)) },
      ),
    }),
  },
);

const scenario = fc.record({
  limits: fc.record({
    max_vx_mps: fc.double({ min: 0.05, max: 3.8, noNaN: true }),
    min_vx_mps: fc.double({ min: -2.5, max: 0, noNaN: true }),
    max_vy_mps: fc.double({ min: 0.05, max: 1, noNaN: true }),
    max_wz_radps: fc.double({ min: 0.05, max: 4, noNaN: true }),
    max_ax_mps2: fc.double({ min: 0.1, max: 10, noNaN: true }),
    max_ay_mps2: fc.double({ min: 0.1, max: 10, noNaN: true }),
    max_alpha_radps2: fc.double({ min: 0.1, max: 10, noNaN: true }),
  }),
  rate_hz: fc.constantFrom(10, 20, 50),
  use_odometry_feedback: fc.boolean(),
  feedback_gain_xy: fc.double({ min: 0, max: 5, noNaN: true }),
  events: fc.array(fc.record({ delay_s: fc.integer({ min: 0, max: 600 }).map((ms) => ms / 1000), event }), {
    maxLength: 30,
  }),
});

describe('controller safety property', () => {
  it('the contract checker catches a jump that is not an immediate stop', () => {
    const twist = (x: number): Twist => ({ linear: { x, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
    const limits = {
      max_vx_mps: 0.5,
      min_vx_mps: -0.2,
      max_vy_mps: 0.3,
      max_wz_radps: 1,
      max_ax_mps2: 1,
      max_ay_mps2: 1,
      max_alpha_radps2: 1,
    };
    const topics = { cmd_vel: '/c', status: '/s' };
    const msg = (topic: string, timeNs: bigint, message: unknown) => ({ topic, type: '', timeNs, message });
    const stopping = msg('/s', 0n, {
      data: JSON.stringify({ state: 'stopping', stop_reason: { kind: 'arrived' } }),
    });
    const estop = msg('/s', 0n, {
      data: JSON.stringify({ state: 'stopped', stop_reason: { kind: 'estop' } }),
    });
    const ramp = [
      msg('/c', 0n, twist(0)),
      msg('/c', 50_000_000n, twist(0.05)),
      msg('/c', 100_000_000n, twist(0.1)),
    ];
    assert.deepEqual(twistContractViolations(ramp, topics, limits), []);
    assert.equal(
      twistContractViolations([...ramp, msg('/c', 150_000_000n, twist(0.2))], topics, limits).length,
      1,
    );
    assert.equal(
      twistContractViolations([...ramp, stopping, msg('/c', 150_000_000n, twist(0))], topics, limits).length,
      1,
    );
    assert.deepEqual(
      twistContractViolations([...ramp, estop, msg('/c', 150_000_000n, twist(0))], topics, limits),
      [],
    );
    assert.equal(
      twistContractViolations([msg('/c', 0n, twist(0.6))], topics, limits).length,
      2,
      'limit and jump',
    );
    assert.equal(twistContractViolations([msg('/c', 0n, twist(NaN))], topics, limits).length, 1);
  });

  it('publishes only finite Twists within the limits and the acceleration limits, whatever it is fed', async () => {
    let runsThatMoved = 0;
    const numRuns = 150;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const rig = new Rig({
          controller: {
            ...s.limits,
            rate_hz: s.rate_hz,
            use_odometry_feedback: s.use_odometry_feedback,
            feedback_gain_xy: s.feedback_gain_xy,
          },
        }).startWithPlanner();
        for (const { delay_s, event: e } of s.events) {
          rig.advance_s(delay_s);
          switch (e.kind) {
            case 'plan':
              rig.sendPlan({
                ...e,
                stampNs: rig.now + secondsToNs(e.stampOffset_s),
                ...(e.inputPose ? { inputPose: e.inputPose } : { inputPose: undefined }),
              });
              break;
            case 'odometry':
              rig.sendOdometry(e.pose);
              break;
            case 'estop':
              rig.setEstop(e.engaged);
              break;
            case 'heartbeat':
              if (e.on) rig.startHeartbeat();
              else rig.stopHeartbeat();
              break;
            case 'camera':
              rig.cameraAge_s = e.age_s;
              break;
          }
        }
        rig.advance_s(2.5);
        await rig.node.stop();
        const { cmd_vel_topic, status_topic } = rig.config.controller;
        const violations = twistContractViolations(
          rig.memory.published,
          { cmd_vel: cmd_vel_topic, status: status_topic },
          s.limits,
        );
        assert.deepEqual(violations.slice(0, 3), []);
        const errors = rig.statuses().filter((x) => x.status.stop_reason?.kind === 'error');
        assert.deepEqual(
          errors.map((x) => x.status.stop_message),
          [],
          'no input may provoke an internal error',
        );
        assert.ok(isZeroTwist(rig.lastTwist()), 'the last Twist is zero');
        if (rig.twists().some((t) => !isZeroTwist(t.message))) runsThatMoved++;
      }),
      { numRuns },
    );
    // The property is only worth something if the random plans do make the robot move.
    assert.ok(runsThatMoved > numRuns / 4, `only ${runsThatMoved} of ${numRuns} runs moved the robot`);
  });
});

function isZeroTwist(t: Twist): boolean {
  return t.linear.x === 0 && t.linear.y === 0 && t.angular.z === 0;
}
