import { strict as assert } from 'node:assert';
import { parseConfig, type SvnavConfig } from '../../src/config';
import type { ControllerStatus } from '../../src/controller';
import type { PlanMsg, StringMsg, Twist } from '../../src/messages/ros';
import { wireNavigationNodes, type NavigationNodes } from '../../src/nodes/wiring';
import type { Planner } from '../../src/planner/planner';
import { InMemoryTransport, VirtualClock } from '../../src/transport/memory';
import { cameraFrame, loadTinyPlanner, MS, S, T0 } from './planner-fixtures';

/**
 * The planner and controller nodes wired as on the robot (one transport, topics only), with the real tiny model,
 * on virtual time: camera frames in, Twists out, and the controller's watchdogs against a frozen camera, a dead
 * planner and an e-stop.
 */
describe('navigation wiring: planner + controller over the in-memory transport', function () {
  this.timeout(120_000);
  let planner: Planner;
  let clock: VirtualClock;
  let transport: InMemoryTransport;
  let nodes: NavigationNodes;
  let config: SvnavConfig;

  before(async () => {
    planner = await loadTinyPlanner();
  });
  after(async () => {
    await planner?.close();
  });
  beforeEach(async () => {
    await planner.resetEpisode();
    config = parseConfig({
      model: { allow_untrained: true },
      planner: { instruction: 'walk forward to find a wooden chair and stop next to it' },
      // Seeded networks barely move the robot, which would read as arrival after three plans.
      safety: { arrival_consecutive_plans: 1000 },
    });
    clock = new VirtualClock(T0);
    transport = new InMemoryTransport(clock);
    nodes = wireNavigationNodes(transport, config, planner);
    nodes.start();
  });
  afterEach(async () => {
    await nodes.stop('test over');
    await transport.close();
  });

  /**
   * Camera frames at 10 Hz from now for `seconds`, each delivered at its stamp and processed before the next.
   * The first plan of an episode needs 3 s of camera time (3 chunks of 4 frames at 4 FPS: the release's 2
   * reference chunks + 1 history chunk); after it, one plan per chunk (1 s).
   */
  async function streamCamera(seconds: number): Promise<void> {
    const start = clock.now();
    for (let t = 0n; t < BigInt(Math.round(seconds * 10)); t++) {
      const stamp = start + t * 100n * MS;
      clock.advanceTo(stamp);
      transport.inject(config.camera.topic, config.camera.type, cameraFrame(stamp));
      await nodes.idle();
    }
  }

  const twists = () => transport.messagesOn<Twist>(config.controller.cmd_vel_topic);
  const lastStatus = () => {
    const all = transport.messagesOn<StringMsg>(config.controller.status_topic);
    return JSON.parse(all[all.length - 1]!.message.data) as ControllerStatus;
  };
  const isZero = (t: Twist) => t.linear.x === 0 && t.linear.y === 0 && t.angular.z === 0;

  it('turns camera frames into plans and plans into Twists at the control rate', async () => {
    await streamCamera(4); // plans from the frames at 2.8 s and 3.8 s
    const plans = transport.messagesOn<PlanMsg>(config.planner.plan_topic);
    assert.ok(plans.length >= 2, `${plans.length} plans`);
    const sent = twists();
    // 20 Hz on virtual time: one Twist per 50 ms since start, the first one period after it.
    assert.equal(sent.length, Number((clock.now() - T0) / (50n * MS)));
    const afterFirstPlan = sent.filter((t) => t.timeNs > plans[0]!.timeNs);
    assert.ok(
      afterFirstPlan.some((t) => !isZero(t.message)),
      'no motion commanded after the first plan',
    );
    for (const t of sent) {
      assert.ok(Math.abs(t.message.linear.x) <= config.controller.max_vx_mps + 1e-9);
      assert.ok(Math.abs(t.message.angular.z) <= config.controller.max_wz_radps + 1e-9);
    }
  });

  it('stops the robot when the camera freezes, from the planner heartbeat alone', async () => {
    await streamCamera(3); // the robot moves on the plan of 2.8 s (its trajectory lasts until ≈4.8 s)
    assert.equal(lastStatus().state, 'moving');
    clock.advanceBy(1500n * MS); // the camera is stale from 3.9 s
    const status = lastStatus();
    assert.equal(status.state, 'stopped');
    assert.equal(status.stop_reason?.kind, 'camera_stale');
    assert.ok(isZero(twists()[twists().length - 1]!.message));
    assert.ok(transport.messagesOn(config.safety.sport_request_topic).length >= 1, 'no StopMove request');
  });

  it('stops the robot when the planner dies (no heartbeat for 0.5 s)', async () => {
    await streamCamera(3);
    assert.equal(lastStatus().state, 'moving');
    await nodes.planner.stop('planner process died');
    clock.advanceBy(S);
    assert.equal(lastStatus().stop_reason?.kind, 'planner_heartbeat_lost');
    assert.ok(isZero(twists()[twists().length - 1]!.message));
  });

  it('holds the robot on e-stop at once, and moves again only with a newer plan after release', async () => {
    await streamCamera(3);
    assert.equal(lastStatus().state, 'moving');
    transport.inject(config.safety.estop_topic, 'std_msgs/msg/Bool', { data: true });
    assert.equal(lastStatus().stop_reason?.kind, 'estop');
    assert.ok(isZero(twists()[twists().length - 1]!.message));
    clock.advanceBy(300n * MS);
    assert.ok(isZero(twists()[twists().length - 1]!.message));
    transport.inject(config.safety.estop_topic, 'std_msgs/msg/Bool', { data: false });
    const plansBefore = transport.messagesOn(config.planner.plan_topic).length;
    await streamCamera(1.5);
    assert.ok(transport.messagesOn(config.planner.plan_topic).length > plansBefore);
    assert.equal(lastStatus().state, 'moving');
  });
});
