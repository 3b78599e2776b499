import { strict as assert } from 'node:assert';
import { twistBetween } from '../../src/geometry/se2';
import { MS, Rig, type PlanOptions } from '../controller/fixtures';
import type { Twist } from '../../src/messages/ros';

const close = (actual: number, expected: number, what: string, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual}`);
const vx = (twists: { message: Twist }[]) => twists.map((t) => Number(t.message.linear.x.toFixed(9)));
const isZero = (t: Twist) => t.linear.x === 0 && t.linear.y === 0 && t.angular.z === 0;
const lastStatus = (rig: Rig) => rig.statuses().at(-1)!.status;

/** A rig whose robot walks 0.4 m/s straight ahead on a fresh plan for 1 s, ramped up at the default 1 m/s². */
function walking(overrides: ConstructorParameters<typeof Rig>[0] = {}): Rig {
  const rig = new Rig(overrides).startWithPlanner();
  rig.sendPlan({ dx_m: 0.1, sequence: 1 });
  rig.advance_s(1.0);
  close(rig.lastTwist().linear.x, 0.4, 'cruise speed');
  return rig;
}

describe('ControllerNode', () => {
  it('turns a straight plan into forward Twists at 20 Hz, ramped at the acceleration limit', () => {
    const rig = new Rig().startWithPlanner();
    const t0 = rig.now;
    rig.sendPlan({ dx_m: 0.1, sequence: 7 }); // 0.1 m per 0.25 s = 0.4 m/s
    rig.advance_s(1.0);
    const twists = rig.twists(t0 + 1n);
    assert.deepEqual(
      twists.map((t) => t.timeNs - t0),
      Array.from({ length: 20 }, (_, i) => BigInt(i + 1) * 50n * MS),
    );
    assert.deepEqual(vx(twists), [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, ...new Array(12).fill(0.4)]);
    assert.ok(twists.every((t) => t.message.linear.y === 0 && t.message.angular.z === 0));
    assert.deepEqual(
      {
        state: lastStatus(rig).state,
        seq: lastStatus(rig).plan_sequence,
        tracking: lastStatus(rig).tracking,
      },
      { state: 'moving', seq: 7, tracking: 'feedforward' },
    );
  });

  it('publishes zero Twists at the control rate while waiting for a plan', () => {
    const rig = new Rig().startWithPlanner();
    const t0 = rig.now;
    rig.advance_s(0.5);
    const twists = rig.twists(t0 + 1n);
    assert.equal(twists.length, 10);
    assert.ok(twists.every((t) => isZero(t.message)));
    assert.equal(lastStatus(rig).stop_reason?.kind, 'waiting_for_plan');
  });

  describe('latency compensation', () => {
    // Two slow steps (0.2 m/s), then 0.4 m/s; stamped 0.5 s ago, so the slow part is already over.
    const dx_m = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    const fast = { controller: { max_ax_mps2: 100, max_ay_mps2: 100, max_alpha_radps2: 100, max_vx_mps: 1 } };
    // Running for a second: a plan whose input frame predates the controller's start is never executed.
    const running = () => {
      const rig = new Rig(fast).startWithPlanner();
      rig.advance_s(1);
      return rig;
    };

    it('starts a plan stamped 0.5 s ago in the middle of its trajectory', () => {
      const rig = running();
      rig.sendPlan({ dx_m, stampNs: rig.now - 500n * MS });
      rig.advance_s(0.05);
      close(rig.lastTwist().linear.x, 0.4, 'vx of step 2');
    });

    it('corrects the command by how far odometry says the robot already moved', () => {
      const inputPose = { x_m: 1, y_m: 2, theta_rad: Math.PI / 2 }; // the plan's x axis is odometry's +y
      const run = (odom: { x_m: number; y_m: number }) => {
        const rig = running();
        rig.sendOdometry({ ...odom, theta_rad: Math.PI / 2 });
        rig.sendPlan({ dx_m, stampNs: rig.now - 500n * MS, inputPose });
        rig.advance_s(0.05);
        return { twist: rig.lastTwist(), tracking: lastStatus(rig).tracking };
      };
      // Reference 0.05 s into step 2: x = 0.1 + 0.4·0.05 = 0.12 m ahead of the input pose.
      const ahead = run({ x_m: 0.9, y_m: 2.3 }); // robot at (0.3, 0.1) in the plan frame
      assert.equal(ahead.tracking, 'feedback');
      close(ahead.twist.linear.x, 0.4 + (0.12 - 0.3), 'vx when ahead');
      close(ahead.twist.linear.y, -0.1, 'vy when 0.1 m to the left');
      close(ahead.twist.angular.z, 0, 'wz');
      const still = run({ x_m: 1, y_m: 2 }); // odometry: the robot has not moved at all
      close(still.twist.linear.x, 0.4 + 0.12, 'vx when behind');
    });

    it('drops feedback when odometry and plan disagree by more than max_tracking_error_m', () => {
      for (const [input_x, odom_x] of [
        [0, 5], // a 5 m gap: a reset odometry or a plan from another frame
        [1.7e308, -1.7e308], // finite poses whose difference overflows
      ] as const) {
        const rig = running();
        rig.sendOdometry({ x_m: odom_x, y_m: 0, theta_rad: 0 });
        rig.sendPlan({
          dx_m,
          stampNs: rig.now - 500n * MS,
          inputPose: { x_m: input_x, y_m: 0, theta_rad: 0 },
        });
        rig.advance_s(0.05);
        close(rig.lastTwist().linear.x, 0.4, `vx with input ${input_x}, odometry ${odom_x}`);
        assert.equal(lastStatus(rig).tracking, 'feedforward');
      }
    });

    it('ignores odometry older than odom_timeout_s and falls back to feed-forward', () => {
      const rig = new Rig(fast).startWithPlanner();
      rig.sendOdometry({ x_m: 5, y_m: 0, theta_rad: 0 });
      rig.advance_s(0.6);
      rig.sendPlan({ dx_m, stampNs: rig.now - 500n * MS, inputPose: { x_m: 0, y_m: 0, theta_rad: 0 } });
      rig.advance_s(0.05);
      close(rig.lastTwist().linear.x, 0.4, 'vx');
      assert.equal(lastStatus(rig).tracking, 'feedforward');
    });
  });

  it('scales a too-fast plan down to the velocity limits without changing its arc', () => {
    const rig = new Rig({ controller: { max_ax_mps2: 100, max_ay_mps2: 100, max_alpha_radps2: 100 } });
    rig.startWithPlanner();
    rig.sendPlan({ dx_m: 0.5, dtheta_rad: 0.5 }); // 2 m/s while turning at 2 rad/s
    rig.advance_s(0.05);
    const planned = twistBetween({ x_m: 0.5, y_m: 0, theta_rad: 0.5 }, 0.25);
    const t = rig.lastTwist();
    close(t.linear.x, 0.5, 'vx at max_vx_mps');
    close(t.linear.y / t.linear.x, planned.vy_mps / planned.vx_mps, 'vy/vx');
    close(t.angular.z / t.linear.x, planned.wz_radps / planned.vx_mps, 'wz/vx');
    assert.ok(Math.abs(t.linear.y) <= 0.3 && Math.abs(t.angular.z) <= 1.0);
  });

  it('hands over to a new plan continuously, within the acceleration limits', () => {
    const rig = walking();
    const t0 = rig.now;
    rig.sendPlan({ dtheta_rad: 0.2, sequence: 2 }); // turn on the spot at 0.8 rad/s
    rig.advance_s(0.5);
    const twists = rig.twists(t0 + 1n);
    assert.deepEqual(vx(twists), [0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0, 0, 0]);
    assert.deepEqual(
      twists.map((t) => Number(t.message.angular.z.toFixed(9))),
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8],
    );
    assert.equal(lastStatus(rig).plan_sequence, 2);
    assert.equal(rig.stopMoves().length, 0);
  });

  it('ignores a plan whose input frame is older than the current plan', () => {
    const rig = walking();
    rig.sendPlan({ stampNs: rig.now - 2000n * MS, dx_m: -0.05, sequence: 0 });
    rig.advance_s(0.1);
    close(rig.lastTwist().linear.x, 0.4, 'vx');
    assert.equal(lastStatus(rig).plan_sequence, 1);
  });

  describe('e-stop', () => {
    it('stops at once when engaged, holds while latched, and resumes only on a plan after release', () => {
      const rig = walking();
      const tStop = rig.now;
      rig.setEstop(true);
      assert.deepEqual(vx(rig.twists(tStop)), [0.4, 0], 'zero Twist at the e-stop, not at the next tick');
      assert.equal(rig.stopMoves().length, 1);
      assert.equal(lastStatus(rig).stop_reason?.kind, 'estop');
      rig.sendPlan({ dx_m: 0.1, sequence: 2 });
      rig.advance_s(0.5);
      assert.ok(rig.twists(tStop + 1n).every((t) => isZero(t.message)));
      rig.sendPlan({ dx_m: 0.1, sequence: 3 });
      rig.setEstop(false);
      rig.advance_s(0.3);
      assert.ok(
        rig.twists(tStop + 1n).every((t) => isZero(t.message)),
        'a plan from before the release is not used',
      );
      assert.equal(lastStatus(rig).stop_reason?.kind, 'waiting_for_plan');
      const tPlan = rig.now;
      rig.sendPlan({ dx_m: 0.1, sequence: 4 });
      rig.advance_s(0.1);
      assert.deepEqual(vx(rig.twists(tPlan + 1n)), [0.05, 0.1]);
      assert.equal(rig.stopMoves().length, 1, 'no StopMove on release or resume');
    });

    it('listens to latched and to volatile e-stop writers (a latched reader alone misses the latter)', () => {
      const rig = new Rig().startWithPlanner();
      const durabilities = rig.transport.requested
        .filter((r) => r.topic === '/svnav/estop')
        .map((r) => `${r.qos?.reliability}/${r.qos?.durability}`);
      assert.deepEqual(durabilities.sort(), ['reliable/transient_local', 'reliable/volatile']);
    });

    it('holds a robot whose e-stop was latched before the node started', () => {
      const rig = new Rig();
      rig.setEstop(true);
      rig.startWithPlanner();
      rig.sendPlan({ dx_m: 0.1 });
      rig.advance_s(0.5);
      assert.ok(rig.twists().every((t) => isZero(t.message)));
      assert.equal(lastStatus(rig).stop_reason?.kind, 'estop');
      assert.equal(rig.stopMoves().length, 0, 'never moved, so no stop transition');
    });
  });

  it('stops when the planner heartbeat has been missing for more than planner_heartbeat_timeout_s', () => {
    const rig = walking();
    const tLast = rig.now; // the heartbeat of this instant has been sent
    rig.stopHeartbeat();
    rig.advance_s(0.5);
    assert.ok(!isZero(rig.lastTwist()), 'still moving at exactly the timeout');
    rig.advance_s(0.05);
    assert.ok(isZero(rig.lastTwist()));
    const status = lastStatus(rig);
    assert.equal(status.stop_reason?.kind, 'planner_heartbeat_lost');
    close(status.stop_reason!.heartbeat_age_s as number, 0.55, 'heartbeat age');
    assert.deepEqual(
      rig.stopMoves().map((m) => m.timeNs - tLast),
      [550n * MS],
    );
  });

  describe('camera', () => {
    it('stops when the heartbeat reports a camera frame older than camera_timeout_s', () => {
      const rig = walking();
      rig.cameraAge_s = 1.2;
      rig.advance_s(0.1);
      assert.ok(isZero(rig.lastTwist()));
      assert.equal(lastStatus(rig).stop_reason?.kind, 'camera_stale');
      assert.equal(rig.stopMoves().length, 1);
    });

    it('never moves before the camera delivered a frame', () => {
      const rig = new Rig();
      rig.cameraAge_s = -1;
      rig.startWithPlanner();
      rig.sendPlan({ dx_m: 0.1 });
      rig.advance_s(0.5);
      assert.ok(rig.twists().every((t) => isZero(t.message)));
      assert.equal(lastStatus(rig).stop_message, 'camera stale (no frame received yet)');
    });
  });

  it('decelerates to a stop when no new plan came for plan_timeout_s, then sends StopMove', () => {
    const rig = walking({ safety: { plan_timeout_s: 1.2 } });
    const tPlan = rig.now - 1000n * MS;
    rig.advance_s(0.2);
    close(rig.lastTwist().linear.x, 0.4, 'still moving at the timeout');
    rig.advance_s(0.4);
    assert.deepEqual(vx(rig.twists(tPlan + 1200n * MS + 1n)), [0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0]);
    assert.equal(lastStatus(rig).state, 'stopped');
    assert.equal(lastStatus(rig).stop_reason?.kind, 'plan_timeout');
    assert.deepEqual(
      rig.stopMoves().map((m) => m.timeNs - tPlan),
      [1600n * MS],
    );
  });

  it('decelerates to a stop when the trajectory is exhausted, then sends StopMove once', () => {
    const rig = walking();
    const tPlan = rig.now - 1000n * MS;
    rig.advance_s(1.0);
    assert.equal(lastStatus(rig).state, 'stopping');
    assert.equal(lastStatus(rig).stop_reason?.kind, 'trajectory_exhausted');
    rig.advance_s(1.0);
    assert.deepEqual(
      vx(rig.twists(tPlan + 2000n * MS)).slice(0, 9),
      [0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0, 0],
    );
    assert.equal(lastStatus(rig).state, 'stopped');
    assert.deepEqual(
      rig.stopMoves().map((m) => m.timeNs - tPlan),
      [2350n * MS],
    );
  });

  describe('non-finite numbers', () => {
    const cases: [string, Partial<PlanOptions>, string][] = [
      ['NaN in dx_m', { dx_m: [0.1, 0.1, 0.1, NaN, 0.1, 0.1, 0.1, 0.1] }, 'dx_m[3] = NaN'],
      ['Infinity in dtheta_rad', { dtheta_rad: [0, Infinity, 0, 0, 0, 0, 0, 0] }, 'dtheta_rad[1] = Infinity'],
      ['NaN in the input pose', { inputPose: { x_m: NaN, y_m: 0, theta_rad: 0 } }, 'position.x is NaN'],
    ];
    for (const [name, bad, detail] of cases) {
      it(`rejects a plan with ${name}, stops at once and resumes on the next valid plan`, () => {
        const rig = walking();
        const tBad = rig.now;
        rig.sendPlan({ dx_m: 0.1, sequence: 2, ...bad });
        assert.ok(isZero(rig.lastTwist()));
        assert.equal(rig.stopMoves().length, 1);
        const status = lastStatus(rig);
        assert.equal(status.stop_reason?.kind, 'invalid_plan');
        assert.ok(String(status.stop_reason?.detail).includes(detail), String(status.stop_reason?.detail));
        assert.equal(status.plan_sequence, 1, 'the rejected plan never becomes current');
        rig.advance_s(0.2);
        assert.ok(rig.twists(tBad + 1n).every((t) => isZero(t.message)));
        rig.sendPlan({ dx_m: 0.1, sequence: 3 });
        rig.advance_s(0.05);
        close(rig.lastTwist().linear.x, 0.05, 'ramping up again');
      });
    }

    it('rejects odometry with a NaN and stops at once', () => {
      const rig = walking();
      rig.sendOdometry({ x_m: 0, y_m: NaN, theta_rad: 0 });
      assert.ok(isZero(rig.lastTwist()));
      assert.deepEqual(lastStatus(rig).stop_reason, {
        kind: 'invalid_odometry',
        detail: 'pose position.y is NaN',
      });
      assert.equal(rig.stopMoves().length, 1);
    });
  });

  it('stops and reports arrival after arrival_consecutive_plans plans that barely move', () => {
    const rig = walking();
    for (let i = 0; i < 3; i++) {
      assert.equal(lastStatus(rig).state, 'moving', `before small plan ${i + 1}`);
      rig.sendPlan({ dx_m: 0.005, sequence: 10 + i }); // 0.04 m in total, under 0.05 m
      rig.advance_s(0.5);
    }
    assert.equal(lastStatus(rig).stop_reason?.kind, 'arrived');
    assert.match(lastStatus(rig).stop_message!, /arrived \(episode "episode-1", 3 plans/);
    rig.advance_s(0.5);
    assert.equal(lastStatus(rig).state, 'stopped');
    assert.equal(rig.stopMoves().length, 1);
    rig.sendPlan({ dx_m: 0.1, sequence: 20 });
    rig.advance_s(0.3);
    assert.ok(isZero(rig.lastTwist()), 'arrival latches for the episode');
    rig.sendPlan({ dx_m: 0.1, sequence: 21, episode_id: 'episode-2' });
    rig.advance_s(0.1);
    close(rig.lastTwist().linear.x, 0.1, 'a new episode moves again');
  });

  describe('StopMove', () => {
    it('is sent once per transition into the stopped state in zero_twist_and_stop_move mode', () => {
      const rig = walking();
      rig.setEstop(true);
      rig.stopHeartbeat();
      rig.advance_s(1.0); // the heartbeat is lost too while already stopped
      assert.equal(lastStatus(rig).stop_reason?.kind, 'estop');
      rig.setEstop(false);
      rig.advance_s(0.05);
      assert.equal(lastStatus(rig).stop_reason?.kind, 'planner_heartbeat_lost');
      rig.startHeartbeat();
      rig.advance_s(0.05);
      rig.sendPlan({ dx_m: 0.1, sequence: 5 });
      rig.advance_s(0.5);
      assert.equal(lastStatus(rig).state, 'moving');
      rig.advance_s(2.5);
      const requests = rig.stopMoves();
      assert.equal(requests.length, 2, 'e-stop, then the end of the second plan');
      for (const r of requests) {
        assert.equal(r.message.header.identity.api_id, 1003n);
        assert.equal(typeof r.message.header.identity.id, 'bigint');
        assert.equal(r.type, 'unitree_api/msg/Request');
      }
      assert.equal(rig.stopMoves()[0]!.message.parameter, '');
    });

    it('is never sent in zero_twist mode, where only zero Twists stop the robot', () => {
      const rig = walking({ safety: { stop_mode: 'zero_twist' } });
      rig.setEstop(true);
      rig.advance_s(0.2);
      assert.equal(rig.stopMoves().length, 0);
      assert.ok(isZero(rig.lastTwist()));
      assert.equal(rig.memory.published.filter((m) => m.topic === '/api/sport/request').length, 0);
    });
  });

  describe('stop()', () => {
    it('sends a final zero Twist and StopMove and releases every subscription and timer', async () => {
      const rig = walking();
      assert.equal(rig.transport.active, 6, 'plan, odometry, e-stop twice, heartbeat, control timer');
      const before = rig.memory.published.length;
      await rig.node.stop('operator shutdown');
      const after = rig.memory.published.slice(before);
      assert.deepEqual(
        after.map((m) => m.topic),
        ['/svnav/controller_status', '/cmd_vel', '/api/sport/request'],
      );
      assert.ok(isZero(rig.lastTwist()));
      assert.deepEqual(lastStatus(rig).stop_reason, { kind: 'shutdown', detail: 'operator shutdown' });
      assert.equal(rig.transport.active, 0);
      const count = rig.memory.published.length;
      rig.sendPlan({ dx_m: 0.1 });
      rig.setEstop(true);
      rig.advance_s(1.0);
      const fromNode = rig.memory.published
        .slice(count)
        .filter((m) => ['/cmd_vel', '/api/sport/request', '/svnav/controller_status'].includes(m.topic));
      assert.deepEqual(fromNode, []);
      await rig.node.stop(); // idempotent
    });

    it('sends StopMove on shutdown even when already stopped', async () => {
      const rig = new Rig().startWithPlanner();
      await rig.node.stop();
      assert.equal(rig.stopMoves().length, 1);
      assert.deepEqual(lastStatus(rig).stop_reason, { kind: 'shutdown', detail: 'node stopped' });
    });
  });

  it('turns an exception in a callback into a terminal stop with the error as reason', () => {
    const rig = walking();
    rig.memory.inject(rig.config.planner.plan_topic, 'sparse_video_nav/msg/Plan', { sequence: 3 });
    assert.ok(isZero(rig.lastTwist()));
    assert.equal(rig.stopMoves().length, 1);
    const status = lastStatus(rig);
    assert.equal(status.stop_reason?.kind, 'error');
    // The message cannot even be converted: the error names the topic it came on.
    assert.match(String(status.stop_reason?.detail), /^\/svnav\/plan: /);
    rig.sendPlan({ dx_m: 0.1, sequence: 4 });
    rig.advance_s(0.5);
    assert.ok(isZero(rig.lastTwist()), 'an error is terminal');
  });

  it('publishes its status only when state, reason, plan or tracking mode change', () => {
    const rig = new Rig().startWithPlanner();
    rig.sendPlan({ dx_m: 0.1, sequence: 1 });
    rig.advance_s(1.5);
    const statuses = rig.statuses().map((s) => s.status);
    assert.deepEqual(
      statuses.map((s) => [s.state, s.stop_reason?.kind ?? null, s.plan_sequence]),
      [
        ['stopped', 'waiting_for_plan', null],
        ['moving', null, 1],
      ],
    );
    assert.deepEqual(statuses[1]!.command, { vx_mps: 0.05, vy_mps: 0, wz_radps: 0 }, 'the first command');
  });

  it('refuses to start twice', () => {
    const rig = new Rig().startWithPlanner();
    assert.throws(() => rig.node.start(), /ControllerNode.start\(\): node is already running/);
  });
});
