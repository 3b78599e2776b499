import type { ControllerConfig, SafetyConfig } from '../config/schema';
import { nsToSeconds, secondsToNs, type TimeNs } from '../messages/time';
import type { OdometrySample } from '../geometry/odometry';
import { ZERO_TWIST, isFinitePose, isFiniteTwist, type BodyTwist, type Pose2D } from '../geometry/se2';
import {
  InvalidPlanError,
  netDisplacement,
  sampleTrajectory,
  trajectoryEndNs,
  trajectoryFromPlan,
  type PlannedPath,
  type Trajectory,
} from '../geometry/trajectory';
import { clampVelocity, isZeroTwist, limitAcceleration } from './limits';
import {
  activeStopReason,
  describeStop,
  initialSafetyInputs,
  isExternalStop,
  isImmediateStop,
  updateArrival,
  type PlannerLiveness,
  type SafetyInputs,
  type StopReason,
} from './safety';
import { robotInPlanFrame, trackingCommand } from './tracking';

export type ControllerParams = { readonly controller: ControllerConfig; readonly safety: SafetyConfig };

/** moving: tracking a plan; stopping: decelerating within the limits; stopped: commanding zero. */
export type ControllerMode = 'moving' | 'stopping' | 'stopped';
export type TrackingMode = 'feedback' | 'feedforward' | 'none';

export interface ControllerState {
  readonly mode: ControllerMode;
  /** Defined whenever mode is not 'moving'. */
  readonly reason?: StopReason;
  readonly safety: SafetyInputs;
  /** Last time an external stop condition held (see isExternalStop); a resume needs a plan received after it. */
  readonly lastBlockedNs: TimeNs;
  readonly trajectory?: Trajectory;
  readonly odometry?: { readonly pose: Pose2D; readonly receivedNs: TimeNs };
  /** The last command sent and when; acceleration limits are relative to it. */
  readonly command: BodyTwist;
  readonly commandNs?: TimeNs;
  readonly tracking: TrackingMode;
}

export type ControllerEvent =
  | { readonly kind: 'tick'; readonly timeNs: TimeNs }
  | { readonly kind: 'plan'; readonly timeNs: TimeNs; readonly plan: PlannedPath }
  | { readonly kind: 'odometry'; readonly timeNs: TimeNs; readonly odometry: OdometrySample }
  /** A plan or odometry message that could not be read (the node's converter says why): stops at once. */
  | {
      readonly kind: 'rejected';
      readonly timeNs: TimeNs;
      readonly input: 'plan' | 'odometry';
      readonly detail: string;
    }
  | { readonly kind: 'estop'; readonly timeNs: TimeNs; readonly engaged: boolean }
  | { readonly kind: 'heartbeat'; readonly timeNs: TimeNs; readonly heartbeat: PlannerLiveness }
  | {
      readonly kind: 'fault';
      readonly timeNs: TimeNs;
      readonly reason: 'error' | 'shutdown';
      readonly detail: string;
    };

export interface ControllerStep {
  readonly state: ControllerState;
  /** A Twist to publish now: every tick, and at once on an immediate stop or shutdown. */
  readonly twist?: BodyTwist;
  /** Send the bridge's StopMove: on every transition into 'stopped', and on shutdown. */
  readonly stopMove: boolean;
  /** Something worth a log line (a rejected or superseded message). */
  readonly notice?: string;
}

export function initialControllerState(startedNs: TimeNs): ControllerState {
  return {
    mode: 'stopped',
    reason: { kind: 'waiting_for_plan' },
    safety: initialSafetyInputs(startedNs),
    lastBlockedNs: startedNs,
    command: ZERO_TWIST,
    tracking: 'none',
  };
}

export function controlPeriodNs(rate_hz: number): TimeNs {
  return secondsToNs(1 / rate_hz);
}

/** The controller as one pure reducer: an event and the state before it → the state after it and what to send. */
export function controllerStep(
  state: ControllerState,
  event: ControllerEvent,
  params: ControllerParams,
): ControllerStep {
  const t = event.timeNs;
  const { state: next, notice } = applyEvent(state, event, params);
  const decided = decideMode(next, t, params.safety);
  const enteredStopped = state.mode !== 'stopped' && decided.mode === 'stopped';
  if (event.kind === 'tick') {
    const ticked = tick(decided, t, params);
    return {
      state: ticked.state,
      twist: ticked.state.command,
      stopMove: enteredStopped || ticked.enteredStopped,
      ...(notice ? { notice } : {}),
    };
  }
  const shutdown = event.kind === 'fault' && event.reason === 'shutdown';
  if (enteredStopped || shutdown) {
    return {
      state: { ...decided, command: ZERO_TWIST, commandNs: t, tracking: 'none' },
      twist: ZERO_TWIST,
      stopMove: true,
      ...(notice ? { notice } : {}),
    };
  }
  return { state: decided, stopMove: false, ...(notice ? { notice } : {}) };
}

/** What one event changes in the state, before the supervisor decides the mode. */
function applyEvent(
  state: ControllerState,
  event: ControllerEvent,
  params: ControllerParams,
): { state: ControllerState; notice?: string } {
  const t = event.timeNs;
  switch (event.kind) {
    case 'tick':
      return { state };
    case 'plan':
      return acceptPlan(state, event.plan, t, params);
    case 'odometry':
      return acceptOdometry(state, event.odometry, t);
    case 'rejected':
      return rejectInput(state, event.input, event.detail);
    case 'estop':
      return { state: withSafety(state, { estopEngaged: event.engaged === true }) };
    case 'heartbeat': {
      const { camera_age_s, episode_state } = event.heartbeat;
      return { state: withSafety(state, { heartbeat: { receivedNs: t, camera_age_s, episode_state } }) };
    }
    case 'fault':
      return { state: withSafety(state, { terminal: { kind: event.reason, detail: event.detail } }) };
  }
}

function withSafety(state: ControllerState, change: Partial<SafetyInputs>): ControllerState {
  return { ...state, safety: { ...state.safety, ...change } };
}

/** An input that cannot be trusted stops the robot at once until the next accepted plan. */
function rejectInput(
  state: ControllerState,
  input: 'plan' | 'odometry',
  detail: string,
): { state: ControllerState; notice: string } {
  if (input === 'plan') {
    return { state: withSafety(state, { rejected: { kind: 'invalid_plan', detail } }), notice: detail };
  }
  return {
    state: withSafety(state, { rejected: { kind: 'invalid_odometry', detail } }),
    notice: `odometry rejected: ${detail}`,
  };
}

function acceptOdometry(
  state: ControllerState,
  odometry: OdometrySample,
  t: TimeNs,
): { state: ControllerState; notice?: string } {
  // The message converter guarantees finite numbers; a sample built any other way is checked here too.
  if (!isFinitePose(odometry.pose) || !isFiniteTwist(odometry.twist)) {
    const numbers = { ...odometry.pose, ...odometry.twist };
    const bad = Object.entries(numbers).find(([, v]) => !Number.isFinite(v))!;
    return rejectInput(state, 'odometry', `${bad[0]} is ${String(bad[1])}`);
  }
  return { state: { ...state, odometry: { pose: odometry.pose, receivedNs: t } } };
}

function acceptPlan(
  state: ControllerState,
  plan: PlannedPath,
  t: TimeNs,
  params: ControllerParams,
): { state: ControllerState; notice?: string } {
  let trajectory: Trajectory;
  try {
    trajectory = trajectoryFromPlan(plan);
  } catch (err) {
    if (!(err instanceof InvalidPlanError)) throw err;
    return rejectInput(state, 'plan', err.message);
  }
  // Plans can overtake each other on a lossy link; an older input frame never replaces a newer one.
  if (state.trajectory && trajectory.stampNs <= state.trajectory.stampNs) {
    return {
      state,
      notice: `plan ${trajectory.sequence} ignored: stamp ${trajectory.stampNs} ns is not newer than plan ${state.trajectory.sequence} (${state.trajectory.stampNs} ns)`,
    };
  }
  const { rejected: _cleared, ...safety } = state.safety;
  return {
    state: {
      ...state,
      trajectory,
      safety: {
        ...safety,
        plan: {
          receivedNs: t,
          endNs: trajectoryEndNs(trajectory),
          sequence: trajectory.sequence,
          episodeId: trajectory.episodeId,
        },
        arrival: updateArrival(
          safety.arrival,
          trajectory.episodeId,
          netDisplacement(trajectory),
          params.safety,
        ),
      },
    },
  };
}

/** Applies the supervisor's verdict at time t to the mode (no command is computed here). */
function decideMode(state: ControllerState, t: TimeNs, config: SafetyConfig): ControllerState {
  const reason = activeStopReason(state.safety, t, config);
  const wasExternal = state.mode !== 'moving' && state.reason !== undefined && isExternalStop(state.reason);
  if (reason) {
    const lastBlockedNs = isExternalStop(reason) ? t : state.lastBlockedNs;
    const mode: ControllerMode = isImmediateStop(reason)
      ? 'stopped'
      : state.mode === 'moving'
        ? 'stopping'
        : state.mode;
    return { ...state, mode, reason, lastBlockedNs };
  }
  // An external condition that just cleared counts as holding until now.
  const lastBlockedNs = wasExternal ? t : state.lastBlockedNs;
  const plan = state.safety.plan;
  if (state.mode === 'moving' || (plan && plan.receivedNs > lastBlockedNs)) {
    const { reason: _none, ...moving } = state;
    return { ...moving, mode: 'moving', lastBlockedNs };
  }
  return { ...state, reason: { kind: 'waiting_for_plan' }, lastBlockedNs };
}

/** The command of one control period. */
function tick(
  state: ControllerState,
  t: TimeNs,
  params: ControllerParams,
): { state: ControllerState; enteredStopped: boolean } {
  const c = params.controller;
  const periodNs = controlPeriodNs(c.rate_hz);
  // Capped at one period: a late tick (or a clock jump in replay) must not permit a bigger jump in speed.
  const sinceLastNs = state.commandNs === undefined ? periodNs : t - state.commandNs;
  const dt_s = nsToSeconds(sinceLastNs < 0n ? 0n : sinceLastNs > periodNs ? periodNs : sinceLastNs);

  if (state.mode === 'stopped') {
    return {
      state: { ...state, command: ZERO_TWIST, commandNs: t, tracking: 'none' },
      enteredStopped: false,
    };
  }
  if (state.mode === 'stopping') {
    const command = limitAcceleration(state.command, ZERO_TWIST, dt_s, c);
    const stopped = isZeroTwist(command);
    return {
      state: { ...state, mode: stopped ? 'stopped' : 'stopping', command, commandNs: t, tracking: 'none' },
      enteredStopped: stopped,
    };
  }

  const trajectory = state.trajectory;
  const sample = trajectory && sampleTrajectory(trajectory, t);
  if (!trajectory || !sample) {
    // decideMode guarantees a live trajectory while moving; reaching here is a bug, reported as one.
    throw new Error(`controller moving without a live trajectory at ${t} ns`);
  }
  const robot = robotPose(state, trajectory, t, c);
  let desired = trackingCommand(sample, robot, {
    gain_xy_per_s: c.feedback_gain_xy,
    gain_theta_per_s: c.feedback_gain_theta,
  });
  let tracking: TrackingMode = robot ? 'feedback' : 'feedforward';
  // `!(≤)` also catches an error that overflowed to NaN on absurd (finite) poses.
  if (desired.error && !(Math.hypot(desired.error.x_m, desired.error.y_m) <= c.max_tracking_error_m)) {
    desired = trackingCommand(sample, undefined, { gain_xy_per_s: 0, gain_theta_per_s: 0 });
    tracking = 'feedforward';
  }
  const command = limitAcceleration(state.command, clampVelocity(desired.twist, c), dt_s, c);
  if (!isFiniteTwist(command)) throw new Error(`non-finite command ${JSON.stringify(command)} at ${t} ns`);
  return { state: { ...state, command, commandNs: t, tracking }, enteredStopped: false };
}

/** The robot's pose in the plan frame from fresh odometry, or undefined when feedback is off or impossible. */
function robotPose(
  state: ControllerState,
  trajectory: Trajectory,
  t: TimeNs,
  c: ControllerConfig,
): Pose2D | undefined {
  if (!c.use_odometry_feedback || !trajectory.inputPose || !state.odometry) return undefined;
  if (nsToSeconds(t - state.odometry.receivedNs) > c.odom_timeout_s) return undefined;
  return robotInPlanFrame(trajectory.inputPose.pose, state.odometry.pose);
}

/** What `/svnav/controller_status` carries (as JSON). */
export interface ControllerStatus {
  readonly state: ControllerMode;
  readonly stop_reason: StopReason | null;
  readonly stop_message: string | null;
  readonly plan_sequence: number | null;
  readonly tracking: TrackingMode;
  readonly command: { readonly vx_mps: number; readonly vy_mps: number; readonly wz_radps: number };
}

export function controllerStatus(state: ControllerState): ControllerStatus {
  return {
    state: state.mode,
    stop_reason: state.reason ?? null,
    stop_message: state.reason ? describeStop(state.reason) : null,
    plan_sequence: state.trajectory?.sequence ?? null,
    tracking: state.tracking,
    command: { vx_mps: state.command.vx_mps, vy_mps: state.command.vy_mps, wz_radps: state.command.wz_radps },
  };
}

/** The parts of the status whose change is worth a message (numbers inside a reason change every tick). */
export function statusChangeKey(status: ControllerStatus): string {
  return `${status.state}|${status.stop_reason?.kind ?? ''}|${status.plan_sequence ?? ''}|${status.tracking}`;
}
