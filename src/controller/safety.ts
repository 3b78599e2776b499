import type { SafetyConfig } from '../config/schema';
import type { EpisodeState } from '../messages/ros';
import { nsToSeconds, type TimeNs } from '../messages/time';

/** Why the robot is not moving. Every stop the controller makes carries one of these. */
export type StopReason =
  | { readonly kind: 'waiting_for_plan' }
  | { readonly kind: 'estop' }
  | { readonly kind: 'invalid_plan'; readonly detail: string }
  | { readonly kind: 'invalid_odometry'; readonly detail: string }
  | { readonly kind: 'planner_heartbeat_lost'; readonly heartbeat_age_s: number }
  | { readonly kind: 'camera_stale'; readonly camera_age_s: number }
  | { readonly kind: 'episode_ended'; readonly episode_state: string }
  | { readonly kind: 'arrived'; readonly episode_id: string; readonly consecutive_plans: number }
  | { readonly kind: 'plan_timeout'; readonly plan_age_s: number }
  | { readonly kind: 'trajectory_exhausted'; readonly plan_sequence: number }
  | { readonly kind: 'error'; readonly detail: string }
  | { readonly kind: 'shutdown'; readonly detail: string };

export type StopKind = StopReason['kind'];

/**
 * Stops that zero the command at once, ignoring acceleration limits: the operator's e-stop, the node going
 * away, and every case where the controller can no longer trust what it would execute (bad numbers, a dead
 * planner, a frozen camera). The other stops are the normal end of motion and decelerate within the
 * acceleration limits before the robot is declared stopped.
 */
export const IMMEDIATE_STOP_KINDS: ReadonlySet<StopKind> = new Set<StopKind>([
  'estop',
  'invalid_plan',
  'invalid_odometry',
  'planner_heartbeat_lost',
  'camera_stale',
  'error',
  'shutdown',
]);

/**
 * Conditions that clear without a new plan (a released e-stop, a heartbeat that comes back). After one of
 * them, motion resumes only on a plan received after it cleared, never on one computed while it held.
 */
const EXTERNAL_STOP_KINDS: ReadonlySet<StopKind> = new Set<StopKind>([
  'estop',
  'planner_heartbeat_lost',
  'camera_stale',
  'episode_ended',
  'error',
  'shutdown',
]);

export function isImmediateStop(reason: StopReason): boolean {
  return IMMEDIATE_STOP_KINDS.has(reason.kind);
}

export function isExternalStop(reason: StopReason): boolean {
  return EXTERNAL_STOP_KINDS.has(reason.kind);
}

/**
 * Planner episode states that mean "do not move", reported through the heartbeat. A record over every state,
 * so a state added to the planner's episode cannot be left out of this decision without a type error.
 */
const EPISODE_ENDED: Readonly<Record<EpisodeState, boolean>> = {
  idle: false,
  navigating: false,
  arrived: false,
  cancelled: true,
  stuck: true,
  failed: true,
};

/** Whether a heartbeat's episode state ends motion; a state this controller does not know does not. */
export function isEndedEpisodeState(state: string): boolean {
  return Object.hasOwn(EPISODE_ENDED, state) && EPISODE_ENDED[state as EpisodeState];
}

/**
 * What the controller reads from the planner's heartbeat: the age of the planner's newest camera frame when
 * the heartbeat was sent (negative: no frame yet) and the episode state (any string; unknown ones do not stop).
 */
export interface PlannerLiveness {
  readonly camera_age_s: number;
  readonly episode_state: string;
}

export interface ArrivalState {
  readonly episodeId?: string;
  readonly consecutiveSmallPlans: number;
  /** Arrival latches for the episode: plans of that episode no longer move the robot. */
  readonly arrivedEpisodeId?: string;
}

/** Everything the supervisor watches, updated by events and judged against the clock. */
export interface SafetyInputs {
  readonly startedNs: TimeNs;
  readonly estopEngaged: boolean;
  readonly heartbeat?: {
    readonly receivedNs: TimeNs;
    readonly camera_age_s: number;
    readonly episode_state: string;
  };
  /** The last accepted plan: when it arrived, when its trajectory ends, whose episode it belongs to. */
  readonly plan?: {
    readonly receivedNs: TimeNs;
    readonly endNs: TimeNs;
    readonly sequence: number;
    readonly episodeId: string;
  };
  /** An input rejected for bad numbers; cleared by the next accepted plan. */
  readonly rejected?: Extract<StopReason, { kind: 'invalid_plan' | 'invalid_odometry' }>;
  /** error or shutdown: never cleared. */
  readonly terminal?: Extract<StopReason, { kind: 'error' | 'shutdown' }>;
  readonly arrival: ArrivalState;
}

export function initialSafetyInputs(startedNs: TimeNs): SafetyInputs {
  return { startedNs, estopEngaged: false, arrival: { consecutiveSmallPlans: 0 } };
}

/**
 * The most important stop condition holding at `nowNs`, or undefined when motion is allowed. Heartbeat and
 * plan ages are measured on this node's clock from when the messages arrived, not from their stamps, so a
 * planner on another machine with a skewed clock cannot make stale data look fresh.
 */
export function activeStopReason(
  inputs: SafetyInputs,
  nowNs: TimeNs,
  config: SafetyConfig,
): StopReason | undefined {
  if (inputs.terminal) return inputs.terminal;
  if (inputs.estopEngaged) return { kind: 'estop' };
  if (inputs.rejected) return inputs.rejected;

  const heartbeatAge_s = nsToSeconds(nowNs - (inputs.heartbeat?.receivedNs ?? inputs.startedNs));
  if (heartbeatAge_s > config.planner_heartbeat_timeout_s) {
    return { kind: 'planner_heartbeat_lost', heartbeat_age_s: heartbeatAge_s };
  }
  if (inputs.heartbeat) {
    // The heartbeat reports the camera age at its own arrival; it has aged since.
    const cameraAge_s = inputs.heartbeat.camera_age_s + heartbeatAge_s;
    // Negative means "no frame yet"; NaN fails the comparison and counts as stale too.
    if (!(inputs.heartbeat.camera_age_s >= 0 && cameraAge_s <= config.camera_timeout_s)) {
      return { kind: 'camera_stale', camera_age_s: inputs.heartbeat.camera_age_s < 0 ? -1 : cameraAge_s };
    }
    if (isEndedEpisodeState(inputs.heartbeat.episode_state)) {
      return { kind: 'episode_ended', episode_state: inputs.heartbeat.episode_state };
    }
  }

  const plan = inputs.plan;
  if (!plan) return { kind: 'waiting_for_plan' };
  if (inputs.arrival.arrivedEpisodeId !== undefined && inputs.arrival.arrivedEpisodeId === plan.episodeId) {
    return {
      kind: 'arrived',
      episode_id: plan.episodeId,
      consecutive_plans: inputs.arrival.consecutiveSmallPlans,
    };
  }
  const planAge_s = nsToSeconds(nowNs - plan.receivedNs);
  if (planAge_s > config.plan_timeout_s) return { kind: 'plan_timeout', plan_age_s: planAge_s };
  if (nowNs >= plan.endNs) return { kind: 'trajectory_exhausted', plan_sequence: plan.sequence };
  return undefined;
}

/**
 * Counts consecutive accepted plans of one episode that barely move the robot; enough of them in a row mean
 * the planner sees the goal reached. Net displacement is used rather than path length so that jitter of a
 * robot standing still does not look like progress; rotation counts, or turning on the spot would "arrive".
 */
export function updateArrival(
  arrival: ArrivalState,
  episodeId: string,
  displacement: { distance_m: number; rotation_rad: number },
  config: Pick<SafetyConfig, 'arrival_displacement_m' | 'arrival_rotation_rad' | 'arrival_consecutive_plans'>,
): ArrivalState {
  const sameEpisode = arrival.episodeId === episodeId;
  const small =
    displacement.distance_m < config.arrival_displacement_m &&
    displacement.rotation_rad < config.arrival_rotation_rad;
  const consecutiveSmallPlans = small ? (sameEpisode ? arrival.consecutiveSmallPlans : 0) + 1 : 0;
  const arrived = consecutiveSmallPlans >= config.arrival_consecutive_plans;
  const arrivedEpisodeId = arrived ? episodeId : sameEpisode ? arrival.arrivedEpisodeId : undefined;
  return {
    episodeId,
    consecutiveSmallPlans,
    ...(arrivedEpisodeId !== undefined ? { arrivedEpisodeId } : {}),
  };
}

/** One line for logs and the status message: the kind and its numbers. */
export function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case 'waiting_for_plan':
      return 'waiting for a plan';
    case 'estop':
      return 'e-stop engaged';
    case 'invalid_plan':
      return `plan rejected: ${reason.detail}`;
    case 'invalid_odometry':
      return `odometry rejected: ${reason.detail}`;
    case 'planner_heartbeat_lost':
      return `planner heartbeat lost (last one ${reason.heartbeat_age_s.toFixed(3)} s ago)`;
    case 'camera_stale':
      return reason.camera_age_s < 0
        ? 'camera stale (no frame received yet)'
        : `camera stale (newest frame ${reason.camera_age_s.toFixed(3)} s old)`;
    case 'episode_ended':
      return `planner episode ${reason.episode_state}`;
    case 'arrived':
      return `arrived (episode "${reason.episode_id}", ${reason.consecutive_plans} plans without motion)`;
    case 'plan_timeout':
      return `no new plan for ${reason.plan_age_s.toFixed(3)} s`;
    case 'trajectory_exhausted':
      return `trajectory of plan ${reason.plan_sequence} exhausted`;
    case 'error':
      return `error: ${reason.detail}`;
    case 'shutdown':
      return `shutdown: ${reason.detail}`;
  }
}
