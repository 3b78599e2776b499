import { Observable, type Subscription } from 'rxjs';
import { parseConfig, type SvnavConfig } from '../../src/config';
import type { Pose2D } from '../../src/geometry/se2';
import { ControllerNode } from '../../src/nodes/controller/node';
import {
  RosTypes,
  type Odometry,
  type PlanMsg,
  type PlannerHeartbeatMsg,
  type Pose,
  type StringMsg,
  type Twist,
  type UnitreeRequest,
} from '../../src/messages/ros';
import { NS_PER_S, nsToStamp, secondsToNs, type TimeNs } from '../../src/messages/time';
import { InMemoryTransport, VirtualClock, type PublishedMessage } from '../../src/transport/memory';
import {
  Qos,
  type Clock,
  type Publisher,
  type QosProfile,
  type Transport,
} from '../../src/transport/transport';

export const MS = 1_000_000n;

export function rosPose(p: Pose2D): Pose {
  return {
    position: { x: p.x_m, y: p.y_m, z: 0 },
    orientation: { x: 0, y: 0, z: Math.sin(p.theta_rad / 2), w: Math.cos(p.theta_rad / 2) },
  };
}

export interface PlanOptions {
  stampNs: TimeNs;
  sequence?: number;
  episode_id?: string;
  /** One value for all 8 steps, or one per step. */
  dx_m?: number | number[];
  dy_m?: number | number[];
  dtheta_rad?: number | number[];
  step_dt_s?: number;
  inputPose?: Pose2D;
}

export function planMsg(o: PlanOptions): PlanMsg {
  const steps = (v: number | number[] | undefined) =>
    Array.isArray(v) ? v : new Array<number>(8).fill(v ?? 0);
  return {
    header: { stamp: nsToStamp(o.stampNs), frame_id: 'base_link' },
    sequence: o.sequence ?? 0,
    episode_id: o.episode_id ?? 'episode-1',
    instruction: 'walk forward',
    step_dt_s: o.step_dt_s ?? 0.25,
    dx_m: steps(o.dx_m),
    dy_m: steps(o.dy_m),
    dtheta_rad: steps(o.dtheta_rad),
    has_input_pose: o.inputPose !== undefined,
    input_pose: rosPose(o.inputPose ?? { x_m: 0, y_m: 0, theta_rad: 0 }),
    latency_s: 0,
    untrained_model: false,
    action_source: 'learned',
    action_confidence: -1,
  };
}

export function odometryMsg(pose: Pose2D, stampNs: TimeNs): Odometry {
  return {
    header: { stamp: nsToStamp(stampNs), frame_id: 'odom' },
    child_frame_id: 'base_link',
    pose: { pose: rosPose(pose), covariance: new Array<number>(36).fill(0) },
    twist: { twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, covariance: [] },
  };
}

/**
 * A real InMemoryTransport whose subscriptions and timers are counted, to check that the node releases every
 * one of them (the in-memory bus itself cannot tell).
 */
export class CountingTransport implements Transport {
  readonly name = 'counting-memory';
  active = 0;
  /** Every subscription the node asked for, with its QoS. */
  readonly requested: { topic: string; qos?: QosProfile }[] = [];
  readonly clock: Clock;
  constructor(readonly inner: InMemoryTransport) {
    const counted = <T>(source: Observable<T>) => this.#counted(source);
    this.clock = { now: () => inner.clock.now(), interval: (p: TimeNs) => counted(inner.clock.interval(p)) };
  }
  get log() {
    return this.inner.log;
  }
  subscribe<T>(topic: string, type: string, qos?: QosProfile): Observable<T> {
    this.requested.push({ topic, ...(qos ? { qos } : {}) });
    return this.#counted(this.inner.subscribe<T>(topic, type, qos));
  }
  createPublisher<T>(topic: string, type: string, qos?: QosProfile): Publisher<T> {
    return this.inner.createPublisher<T>(topic, type, qos);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  #counted<T>(source: Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.active++;
      const sub: Subscription = source.subscribe(subscriber);
      return () => {
        this.active--;
        sub.unsubscribe();
      };
    });
  }
}

/** A controller node on virtual time with a simulated planner heartbeat, and views of what it published. */
export class Rig {
  readonly clock = new VirtualClock(100n * NS_PER_S);
  readonly memory = new InMemoryTransport(this.clock);
  readonly transport = new CountingTransport(this.memory);
  readonly config: SvnavConfig;
  readonly node: ControllerNode;
  cameraAge_s = 0.1;
  episodeState: PlannerHeartbeatMsg['episode_state'] = 'navigating';
  #heartbeat: Subscription | undefined;
  #sequence = 0;

  constructor(overrides: { controller?: object; safety?: object } = {}) {
    this.config = parseConfig({ controller: overrides.controller ?? {}, safety: overrides.safety ?? {} });
    this.node = new ControllerNode(this.transport, this.config);
  }

  get now(): TimeNs {
    return this.clock.now();
  }

  /** Starts the node and a 10 Hz heartbeat (one sent at once), then lets 0.1 s pass. */
  startWithPlanner(): this {
    this.node.start();
    this.startHeartbeat();
    this.advance_s(0.1);
    return this;
  }

  /** Sends a heartbeat now and every 0.1 s after. */
  startHeartbeat(): void {
    this.#heartbeat?.unsubscribe();
    this.sendHeartbeat();
    this.#heartbeat = this.clock.interval(100n * MS).subscribe(() => this.sendHeartbeat());
  }

  sendHeartbeat(): void {
    this.memory.inject<PlannerHeartbeatMsg>(this.config.planner.heartbeat_topic, RosTypes.PlannerHeartbeat, {
      stamp: nsToStamp(this.now),
      sequence: this.#sequence++,
      episode_state: this.episodeState,
      episode_id: 'episode-1',
      camera_age_s: this.cameraAge_s,
      planning: true,
    });
  }

  stopHeartbeat(): void {
    this.#heartbeat?.unsubscribe();
  }

  sendPlan(o: Omit<PlanOptions, 'stampNs'> & { stampNs?: TimeNs }): void {
    this.sendPlanMsg(planMsg({ stampNs: this.now, ...o }));
  }

  sendPlanMsg(plan: PlanMsg): void {
    this.memory.inject(this.config.planner.plan_topic, RosTypes.Plan, plan);
  }

  sendOdometry(pose: Pose2D): void {
    this.memory.inject(this.config.controller.odom_topic, RosTypes.Odometry, odometryMsg(pose, this.now));
  }

  /** E-stop as an operator panel publishes it: latched. */
  setEstop(engaged: boolean): void {
    this.memory
      .createPublisher(this.config.safety.estop_topic, RosTypes.Bool, Qos.latched)
      .publish({ data: engaged });
  }

  advance_s(seconds: number): void {
    this.clock.advanceBy(secondsToNs(seconds));
  }

  twists(sinceNs: TimeNs = 0n): PublishedMessage<Twist>[] {
    return this.memory
      .messagesOn<Twist>(this.config.controller.cmd_vel_topic)
      .filter((m) => m.timeNs >= sinceNs);
  }

  lastTwist(): Twist {
    const all = this.twists();
    if (all.length === 0) throw new Error('no Twist published yet');
    return all[all.length - 1]!.message;
  }

  stopMoves(): PublishedMessage<UnitreeRequest>[] {
    return this.memory.messagesOn<UnitreeRequest>(this.config.safety.sport_request_topic);
  }

  statuses(): { timeNs: TimeNs; status: ControllerStatusJson }[] {
    return this.memory
      .messagesOn<StringMsg>(this.config.controller.status_topic)
      .map((m) => ({ timeNs: m.timeNs, status: JSON.parse(m.message.data) as ControllerStatusJson }));
  }
}

export interface ControllerStatusJson {
  state: 'moving' | 'stopping' | 'stopped';
  stop_reason: { kind: string; [k: string]: unknown } | null;
  stop_message: string | null;
  plan_sequence: number | null;
  tracking: string;
  command: { vx_mps: number; vy_mps: number; wz_radps: number };
}
