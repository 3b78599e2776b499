import type { Subscription } from 'rxjs';
import type { SvnavConfig } from '../../config/schema';
import {
  RosTypes,
  type BoolMsg,
  type Odometry,
  type PlanMsg,
  type PlannerHeartbeatMsg,
  type StringMsg,
  type Twist,
  type UnitreeRequest,
} from '../../messages/ros';
import {
  controlPeriodNs,
  controllerStatus,
  controllerStep,
  describeStop,
  initialControllerState,
  statusChangeKey,
  type ControllerEvent,
  type ControllerState,
  type ControllerStatus,
} from '../../controller';
import { ZERO_TWIST } from '../../geometry/se2';
import type { TimeNs } from '../../messages/time';
import { twistFromBody } from '../../messages/twist';
import { heartbeatEvent, odometryEvent, planEvent } from './inputs';
import { Qos, type Publisher, type QosProfile, type Transport } from '../../transport/transport';

/** Unitree sport API StopMove: ends the current Move at once (a zero Twist is dropped by go2_ros2_sdk). */
export const SPORT_API_STOP_MOVE = 1003;

/**
 * Inputs that only matter when fresh (plans, odometry, heartbeats) are read best-effort, volatile, depth 1:
 * such a reader matches reliable and best-effort writers alike, a queued old message is worthless, and a
 * volatile reader takes no history from the planner's latched plan publisher.
 */
const LATEST_ONLY: QosProfile = Qos.latestOnly;
const ESTOP_ANY_WRITER: QosProfile = Qos.commands;

/** What the node knows about its planner when a plan arrives. */
export interface PlanGate {
  /** This node's clock when it started. */
  readonly startedNs: TimeNs;
  /** Two heartbeats with different sequence numbers arrived since start: a planner is alive now. */
  readonly plannerAlive: boolean;
}

/**
 * Why a plan must not reach the control law, or undefined when it may. The planner latches its plan for late
 * viewers, so a (re)started controller may be handed the last plan of a planner that has since died, and a
 * transport that delivers history (or a misconfigured reader) would otherwise let it arm the robot. A plan
 * counts only when (1) a live planner is proven — two distinct heartbeats since start, which one latched or
 * queued heartbeat of a dead planner cannot fake — and (2) its input frame was taken after this node started
 * (plan stamps are camera stamps, on the robot's clock like this node's), so a plan made for a previous
 * controller is never executed by this one. Both only ever drop plans: the failure mode is standing still.
 */
export function planGateRefusal(
  plan: { readonly sequence: number; readonly stampNs?: TimeNs },
  gate: PlanGate,
): string | undefined {
  if (!gate.plannerAlive) {
    return `plan ${plan.sequence} ignored: no live planner heartbeat since the controller started (a latched or queued plan)`;
  }
  if (plan.stampNs !== undefined && plan.stampNs < gate.startedNs) {
    return `plan ${plan.sequence} ignored: its input frame (${plan.stampNs} ns) predates the controller's start (${gate.startedNs} ns)`;
  }
  return undefined;
}

/**
 * Parameters `ros2 param set` may change while the controller runs: limits, gains, watchdog times and arrival
 * thresholds, which every control step reads afresh. Topics, the rate and the stop mode are wired at start.
 */
export const LIVE_CONTROLLER_PARAMETERS: readonly string[] = [
  'controller.max_vx_mps',
  'controller.min_vx_mps',
  'controller.max_vy_mps',
  'controller.max_wz_radps',
  'controller.max_ax_mps2',
  'controller.max_ay_mps2',
  'controller.max_alpha_radps2',
  'controller.feedback_gain_xy',
  'controller.feedback_gain_theta',
  'controller.odom_timeout_s',
  'controller.max_tracking_error_m',
  'safety.planner_heartbeat_timeout_s',
  'safety.camera_timeout_s',
  'safety.plan_timeout_s',
  'safety.arrival_displacement_m',
  'safety.arrival_consecutive_plans',
  'safety.arrival_rotation_rad',
];

/** int64 fields are BigInt: rclnodejs and CDR serialisation (bag replay) both expect it. */
export function stopMoveRequest(id: bigint): UnitreeRequest {
  return {
    header: {
      identity: { id, api_id: BigInt(SPORT_API_STOP_MOVE) },
      lease: { id: 0n },
      policy: { priority: 0, noreply: false },
    },
    parameter: '',
    binary: [],
  };
}

/**
 * The controller node: plans, odometry, e-stop and planner heartbeat in; Twists at a fixed rate out, plus
 * StopMove requests for the Go2 and a JSON status. All decisions are made by the pure `controllerStep`; this
 * class only wires it to a transport, so it runs the same on a robot, in replay and under virtual time.
 */
export class ControllerNode {
  readonly #transport: Transport;
  #config: SvnavConfig;
  #state: ControllerState | undefined;
  #subscriptions: Subscription[] = [];
  #cmdVel: Publisher<Twist> | undefined;
  #sportRequest: Publisher<UnitreeRequest> | undefined;
  #status: Publisher<StringMsg> | undefined;
  #lastStatusKey = '';
  #phase: 'created' | 'running' | 'stopped' = 'created';
  #startedNs: TimeNs = 0n;
  #firstHeartbeatSequence: number | undefined;
  #plannerAlive = false;

  constructor(transport: Transport, config: SvnavConfig) {
    this.#transport = transport;
    this.#config = config;
  }

  /** The current status (state, stop reason, command), or undefined before start(). */
  get status(): ControllerStatus | undefined {
    return this.#state && controllerStatus(this.#state);
  }

  start(): void {
    if (this.#phase !== 'created') throw new Error(`ControllerNode.start(): node is already ${this.#phase}`);
    this.#phase = 'running';
    const { controller, planner, safety } = this.#config;
    const t = this.#transport;
    this.#startedNs = t.clock.now();
    this.#state = initialControllerState(this.#startedNs);
    this.#cmdVel = t.createPublisher<Twist>(controller.cmd_vel_topic, RosTypes.Twist, Qos.commands);
    if (safety.stop_mode === 'zero_twist_and_stop_move') {
      this.#sportRequest = t.createPublisher<UnitreeRequest>(
        safety.sport_request_topic,
        RosTypes.UnitreeRequest,
        Qos.commands,
      );
    }
    this.#status = t.createPublisher<StringMsg>(controller.status_topic, RosTypes.String, Qos.latched);
    this.#publishStatus();
    t.onParameterChange?.((next, changed) => this.reconfigure(next, changed));

    this.#listen<PlanMsg>(planner.plan_topic, RosTypes.Plan, LATEST_ONLY, (msg, timeNs) => {
      const event = planEvent(msg, timeNs);
      // The stamp as the plan's own check read it; an unreadable plan goes on to the control law (terminal stop).
      const stampNs = event.kind === 'plan' ? event.plan.stampNs : undefined;
      const gate = { startedNs: this.#startedNs, plannerAlive: this.#plannerAlive };
      const refusal = planGateRefusal(
        { sequence: msg.sequence, ...(stampNs === undefined ? {} : { stampNs }) },
        gate,
      );
      if (refusal) t.log.warn(`controller: ${refusal}`);
      return refusal ? undefined : event;
    });
    if (controller.use_odometry_feedback) {
      this.#listen<Odometry>(controller.odom_topic, RosTypes.Odometry, LATEST_ONLY, odometryEvent);
    }
    // A transient-local reader gets the latched e-stop state from a latched writer but *nothing* from a volatile
    // one (DDS calls the pair incompatible), and `ros2 topic pub` is volatile by default. So the e-stop is read
    // twice: latched for the history, volatile for every writer. Duplicates are harmless: the state is a level.
    for (const qos of [Qos.latched, ESTOP_ANY_WRITER]) {
      this.#listen<BoolMsg>(safety.estop_topic, RosTypes.Bool, qos, (msg, timeNs) => ({
        kind: 'estop',
        timeNs,
        engaged: msg.data === true,
      }));
    }
    this.#listen<PlannerHeartbeatMsg>(
      planner.heartbeat_topic,
      RosTypes.PlannerHeartbeat,
      LATEST_ONLY,
      (hb, timeNs) => {
        this.#noteHeartbeat(hb.sequence);
        return heartbeatEvent(hb, timeNs);
      },
    );
    this.#subscriptions.push(
      t.clock.interval(controlPeriodNs(controller.rate_hz)).subscribe({
        next: (timeNs) => this.#handle({ kind: 'tick', timeNs }),
        error: (err: unknown) => this.#fail(`control timer failed: ${errorText(err)}`),
      }),
    );
    t.log.info(
      `controller: ${controller.rate_hz} Hz on ${controller.cmd_vel_topic}, stop mode ${safety.stop_mode}`,
    );
  }

  /**
   * A run-time parameter change: applied from the next control step when every changed key is live (the new
   * config was validated by the caller); otherwise refused with what to do. Returns the refusal or undefined.
   */
  reconfigure(next: SvnavConfig, changed: readonly string[]): string | undefined {
    const fixed = changed.filter((name) => !LIVE_CONTROLLER_PARAMETERS.includes(name));
    if (fixed.length > 0) {
      return `${fixed.join(', ')} cannot change while the controller runs: restart to apply`;
    }
    this.#config = next;
    return undefined;
  }

  /**
   * Tears every subscription down, then sends a final zero Twist and (in zero_twist_and_stop_move mode) a
   * StopMove, even if already stopped: the node is going away and cannot repeat them later.
   */
  async stop(reason = 'node stopped'): Promise<void> {
    if (this.#phase !== 'running') {
      this.#phase = 'stopped';
      return;
    }
    this.#phase = 'stopped';
    for (const s of this.#subscriptions) s.unsubscribe();
    this.#subscriptions = [];
    try {
      this.#apply({ kind: 'fault', reason: 'shutdown', detail: reason, timeNs: this.#transport.clock.now() });
    } catch (err) {
      this.#transport.log.error(`controller: could not stop cleanly: ${errorText(err)}`);
      this.#sendRawStop();
    }
    this.#cmdVel?.close();
    this.#sportRequest?.close();
    this.#status?.close();
  }

  #listen<T>(
    topic: string,
    type: string,
    qos: QosProfile,
    toEvent: (msg: T, timeNs: bigint) => ControllerEvent | undefined,
  ): void {
    const subscription = this.#transport.subscribe<T>(topic, type, qos).subscribe({
      next: (msg) => {
        if (this.#phase !== 'running') return;
        let event: ControllerEvent | undefined;
        try {
          event = toEvent(msg, this.#transport.clock.now());
        } catch (err) {
          this.#fail(`${topic}: ${errorText(err)}`);
          return;
        }
        if (event) this.#handle(event);
      },
      error: (err: unknown) => this.#fail(`subscription to ${topic} failed: ${errorText(err)}`),
    });
    this.#subscriptions.push(subscription);
  }

  /** A restarted planner counts from 1 again; any change of sequence proves a sender alive since start. */
  #noteHeartbeat(sequence: number): void {
    if (this.#firstHeartbeatSequence === undefined) this.#firstHeartbeatSequence = sequence;
    else if (sequence !== this.#firstHeartbeatSequence) this.#plannerAlive = true;
  }

  #handle(event: ControllerEvent): void {
    if (this.#phase !== 'running') return;
    try {
      this.#apply(event);
    } catch (err) {
      this.#fail(`${event.kind} at ${event.timeNs} ns: ${errorText(err)}`);
    }
  }

  #apply(event: ControllerEvent): void {
    const before = this.#state;
    if (!before) return;
    const step = controllerStep(before, event, this.#config);
    this.#state = step.state;
    if (step.notice) this.#transport.log.warn(`controller: ${step.notice}`);
    if (before.mode !== step.state.mode && step.state.reason) {
      this.#transport.log.info(`controller: ${step.state.mode}: ${describeStop(step.state.reason)}`);
    }
    // The status describes what was commanded, so it goes out with Twists only (first, so that a reader of
    // both topics knows why a Twist is zero when it arrives).
    if (step.twist) {
      this.#publishStatus();
      this.#cmdVel?.publish(twistFromBody(step.twist));
    }
    if (step.stopMove) this.#sportRequest?.publish(stopMoveRequest(this.#transport.clock.now()));
  }

  /** Errors never escape a callback: they become a terminal stop, and if even that fails, raw zero commands. */
  #fail(detail: string): void {
    this.#transport.log.error(`controller: ${detail}`);
    try {
      this.#apply({ kind: 'fault', reason: 'error', detail, timeNs: this.#transport.clock.now() });
    } catch (err) {
      this.#transport.log.error(`controller: could not stop cleanly: ${errorText(err)}`);
      this.#sendRawStop();
    }
  }

  #sendRawStop(): void {
    try {
      this.#cmdVel?.publish(twistFromBody(ZERO_TWIST));
      this.#sportRequest?.publish(stopMoveRequest(this.#transport.clock.now()));
    } catch {
      // Nothing is left to try; the bridge's own timeouts (twist_mux 0.5 s) are the last line.
    }
  }

  #publishStatus(): void {
    if (!this.#state) return;
    const status = controllerStatus(this.#state);
    const key = statusChangeKey(status);
    if (key === this.#lastStatusKey) return;
    this.#lastStatusKey = key;
    this.#status?.publish({ data: JSON.stringify(status) });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
