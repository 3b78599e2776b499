import { strict as assert } from 'node:assert';
import { switchMap, take } from 'rxjs';
import { defaultConfig } from '../../src/config';
import { RosTypes, type PlannerHeartbeatMsg, type StringMsg, type Twist } from '../../src/messages/ros';
import { NS_PER_S, nsToStamp, secondsToNs, type TimeNs } from '../../src/messages/time';
import { ControllerNode, planGateRefusal } from '../../src/nodes/controller/node';
import { createPublishers } from '../../src/nodes/planner/messages';
import { InMemoryTransport, VirtualClock } from '../../src/transport/memory';
import { Qos, type Publisher, type QosProfile, type Transport } from '../../src/transport/transport';
import { planMsg, Rig } from '../controller/fixtures';

const config = defaultConfig();
const isZero = (t: Twist) => t.linear.x === 0 && t.linear.y === 0 && t.angular.z === 0;

/**
 * The bus as a node that joins it sees it under DDS, in the worst case for a restarted controller: each
 * subscription matches `delayNs` after it was made (discovery takes a few milliseconds) and is made
 * transient-local whatever the node asked for (as a QoS override in a parameter file could), so it receives the
 * last message of every latched topic.
 */
function lateMatching(bus: InMemoryTransport, delayNs: TimeNs): Transport {
  return {
    name: 'late-matching',
    clock: bus.clock,
    log: bus.log,
    subscribe: <T>(topic: string, type: string, qos?: QosProfile) =>
      bus.clock.interval(delayNs).pipe(
        take(1),
        switchMap(() =>
          bus.subscribe<T>(topic, type, { ...(qos ?? Qos.commands), durability: 'transient_local' }),
        ),
      ),
    createPublisher: <T>(topic: string, type: string, qos?: QosProfile) =>
      bus.createPublisher<T>(topic, type, qos),
    close: () => bus.close(),
  };
}

function graph() {
  const clock = new VirtualClock(100n * NS_PER_S);
  const bus = new InMemoryTransport(clock);
  const warnings: string[] = [];
  Object.assign(bus.log, { warn: (m: string) => warnings.push(m) });
  const planner = createPublishers(bus, config.planner);
  // A heartbeat someone latched anyway (the planner's own is volatile): it must not arm the controller either.
  const latchedHeartbeat = bus.createPublisher<PlannerHeartbeatMsg>(
    config.planner.heartbeat_topic,
    RosTypes.PlannerHeartbeat,
    Qos.latched,
  );
  let sequence = 0;
  const heartbeat = () =>
    latchedHeartbeat.publish({
      stamp: nsToStamp(clock.now()),
      sequence: ++sequence,
      episode_state: 'navigating',
      episode_id: 'episode-1',
      camera_age_s: 0.05,
      planning: true,
    });
  const advance = (s: number) => clock.advanceBy(secondsToNs(s));
  const twistsSince = (t: TimeNs) =>
    bus.messagesOn<Twist>(config.controller.cmd_vel_topic).filter((m) => m.timeNs >= t);
  const status = () =>
    JSON.parse(bus.messagesOn<StringMsg>(config.controller.status_topic).at(-1)!.message.data) as {
      state: string;
      stop_reason: { kind: string } | null;
    };
  return { clock, bus, planner, heartbeat, advance, twistsSince, status, warnings };
}

describe('latched plan and heartbeat at a (re)started controller', () => {
  it('a controller started after the planner died never moves on its latched plan or last heartbeat', () => {
    const g = graph();
    g.heartbeat();
    // A 4 s walk at 0.4 m/s, stamped now: still "live" by its own timing when the new controller starts.
    g.planner.plan.publish(planMsg({ stampNs: g.clock.now(), dx_m: 0.1, sequence: 9 }));
    g.advance(0.2); // the planner dies here
    const controller = new ControllerNode(lateMatching(g.bus, 50n * 1_000_000n), config);
    const startedNs = g.clock.now();
    controller.start();
    g.advance(3);
    const twists = g.twistsSince(startedNs);
    assert.ok(twists.length >= 55, `${twists.length} Twists in 3 s at 20 Hz`);
    assert.ok(
      twists.every((t) => isZero(t.message)),
      'moved on a latched plan of a dead planner',
    );
    assert.equal(g.status().state, 'stopped');
    assert.equal(g.status().stop_reason?.kind, 'planner_heartbeat_lost');
    assert.ok(
      g.warnings.some((w) => /plan 9 ignored: no live planner heartbeat/.test(w)),
      g.warnings.join('\n'),
    );
  });

  it('with a live planner, its latched plan from before the restart is refused and the next fresh plan runs', () => {
    const g = graph();
    g.heartbeat();
    g.planner.plan.publish(planMsg({ stampNs: g.clock.now(), dx_m: 0.1, sequence: 9 }));
    g.advance(0.1);
    const controller = new ControllerNode(lateMatching(g.bus, 50n * 1_000_000n), config);
    const startedNs = g.clock.now();
    controller.start();
    for (let i = 0; i < 5; i++) {
      g.heartbeat();
      g.advance(0.1);
    }
    // Delivered again after the planner proved alive (a late-matching reader): still from before the start.
    g.planner.plan.publish(planMsg({ stampNs: startedNs - 1n, dx_m: 0.1, sequence: 9 }));
    g.heartbeat();
    g.advance(0.1);
    assert.ok(
      g.twistsSince(startedNs).every((t) => isZero(t.message)),
      'moved on a plan made before start',
    );
    assert.ok(g.warnings.some((w) => /plan 9 ignored: its input frame .* predates/.test(w)));
    const freshNs = g.clock.now();
    g.planner.plan.publish(planMsg({ stampNs: freshNs, dx_m: 0.1, sequence: 10 }));
    for (let i = 0; i < 5; i++) {
      g.heartbeat();
      g.advance(0.1);
    }
    assert.ok(
      g.twistsSince(freshNs).some((t) => t.message.linear.x > 0.1),
      'the fresh plan did not run',
    );
  });
});

describe('planGateRefusal', () => {
  const plan = { sequence: 3, stampNs: 10n * NS_PER_S };
  it('refuses every plan until a live planner is proven, whatever its stamp', () => {
    assert.match(planGateRefusal(plan, { startedNs: 0n, plannerAlive: false })!, /no live planner/);
  });
  it('refuses a plan whose input frame predates the start, and passes one taken at or after it', () => {
    assert.match(planGateRefusal(plan, { startedNs: 10n * NS_PER_S + 1n, plannerAlive: true })!, /predates/);
    assert.equal(planGateRefusal(plan, { startedNs: 10n * NS_PER_S, plannerAlive: true }), undefined);
  });
});

describe('QoS of the planner outputs', () => {
  it('latches plan, path, future and status; the heartbeat stays volatile', () => {
    const offered = new Map<string, QosProfile | undefined>();
    const recorder = {
      createPublisher: <T>(topic: string, _type: string, qos?: QosProfile): Publisher<T> => {
        offered.set(topic, qos);
        return { topic, publish: () => undefined, close: () => undefined };
      },
    } as unknown as Transport;
    createPublishers(recorder, config.planner);
    const p = config.planner;
    for (const topic of [p.plan_topic, p.path_topic, p.future_topic, p.status_topic]) {
      assert.deepEqual(offered.get(topic), Qos.latched, topic);
    }
    assert.equal(offered.get(p.heartbeat_topic)?.durability, 'volatile');
  });
});

describe('QoS of the controller inputs', () => {
  it('reads plans and heartbeats volatile, so DDS never hands it a latched plan or heartbeat', () => {
    const rig = new Rig().startWithPlanner();
    for (const topic of [rig.config.planner.plan_topic, rig.config.planner.heartbeat_topic]) {
      const requested = rig.transport.requested.filter((r) => r.topic === topic);
      assert.equal(requested.length, 1, topic);
      assert.equal(requested[0]!.qos?.durability, 'volatile', topic);
    }
  });
});
