import { compose, IDENTITY_POSE, wrapAngle, type Pose2D } from '../../geometry/se2';
import {
  InvalidPlanError,
  sampleTrajectory,
  trajectoryFromPlan,
  type PlannedPath,
  type PlanStep,
  type Trajectory,
} from '../../geometry/trajectory';
import { nsToSeconds, type TimeNs } from '../../messages/time';

/**
 * Stuck detection: the plans keep commanding motion, yet over the last `timeout` the robot made less than
 * `minProgress` of net progress — it turns on the spot, oscillates back and forth, or pushes against something.
 *
 * Net progress is the distance between the pose at the start of the window and the pose now. A path length or
 * the farthest excursion would count an oscillation as progress; the net displacement of an oscillation passes
 * near zero twice per period, so it is caught within half a period of the window filling.
 *
 * Poses come from odometry when it is fresh; without it, from dead reckoning of the plans themselves (each plan
 * executed until the next one arrived), which still catches plans that spin or dither but not a robot held back
 * by an obstacle. All times are message stamps (camera and odometry share the robot's clock).
 */
export interface StuckParams {
  readonly timeoutNs: TimeNs;
  readonly minProgressM: number;
  /** A plan commands motion when its path is at least this long or it turns at least this much. */
  readonly motionPathM: number;
  readonly motionRotationRad: number;
  /** Plans farther apart than this do not continue a run of commanded motion (the controller stops between). */
  readonly maxPlanGapNs: TimeNs;
  /** Odometry whose newest sample is older than this is not used; the plans' dead reckoning is. */
  readonly odomTimeoutNs: TimeNs;
}

export interface StuckAssessment {
  readonly stuck: boolean;
  readonly source: 'odometry' | 'plans' | 'none';
  /** Net displacement over the window, path length and total turning inside it (0 when not measured). */
  readonly progress_m: number;
  readonly path_m: number;
  readonly rotation_rad: number;
  /** How long the plans have commanded motion without a break, seconds (0: they do not). */
  readonly commanded_s: number;
  readonly message: string;
}

interface Sample {
  readonly tNs: TimeNs;
  readonly pose: Pose2D;
}

interface PlanMotion {
  readonly stampNs: TimeNs;
  /** Undefined for a plan the controller refuses: it stops instead of executing it. */
  readonly trajectory: Trajectory | undefined;
}

export class StuckDetector {
  readonly #params: StuckParams;
  #odometry: Sample[] = [];
  #reckoned: Sample[] = [];
  #lastPlan: PlanMotion | undefined;
  #motionSinceNs: TimeNs | undefined;

  constructor(params: StuckParams) {
    if (params.timeoutNs <= 0n)
      throw new RangeError(`stuck timeout must be positive, got ${params.timeoutNs} ns`);
    this.#params = params;
  }

  /** Forgets everything: a new episode starts from scratch. */
  reset(): void {
    this.#odometry = [];
    this.#reckoned = [];
    this.#lastPlan = undefined;
    this.#motionSinceNs = undefined;
  }

  observeOdometry(stampNs: TimeNs, pose: Pose2D): void {
    const last = this.#odometry[this.#odometry.length - 1];
    if (last && stampNs <= last.tNs) return; // out of order: the trace must stay sorted
    this.#odometry.push({ tNs: stampNs, pose });
    this.#prune(this.#odometry, stampNs);
  }

  /** A published plan, stamped with its input frame. */
  observePlan(plan: PlannedPath): void {
    const { stampNs } = plan;
    const previous = this.#lastPlan;
    if (previous && stampNs <= previous.stampNs) return;
    const gap = previous === undefined || stampNs - previous.stampNs > this.#params.maxPlanGapNs;
    const trajectory = executableTrajectory(plan);
    if (!trajectory || !commandsMotion(plan.steps, this.#params)) this.#motionSinceNs = undefined;
    else if (gap || this.#motionSinceNs === undefined) this.#motionSinceNs = stampNs;

    const lastPose = this.#reckoned[this.#reckoned.length - 1]?.pose ?? IDENTITY_POSE;
    const pose =
      previous && !gap ? compose(lastPose, executedMotion(previous.trajectory, stampNs)) : lastPose;
    this.#reckoned.push({ tNs: stampNs, pose });
    this.#prune(this.#reckoned, stampNs);
    this.#lastPlan = { stampNs, trajectory };
  }

  /** A plan cycle that produced nothing: the controller will stop, so the run of commanded motion ends. */
  observeNoPlan(): void {
    this.#motionSinceNs = undefined;
  }

  assess(nowNs: TimeNs): StuckAssessment {
    const p = this.#params;
    const window_s = nsToSeconds(p.timeoutNs);
    const lastPlanNs = this.#lastPlan?.stampNs;
    const commanding =
      this.#motionSinceNs !== undefined && lastPlanNs !== undefined && nowNs - lastPlanNs <= p.maxPlanGapNs;
    const commanded_s = commanding ? Math.max(0, nsToSeconds(nowNs - this.#motionSinceNs!)) : 0;
    const none = (message: string): StuckAssessment => ({
      stuck: false,
      source: 'none',
      progress_m: 0,
      path_m: 0,
      rotation_rad: 0,
      commanded_s,
      message,
    });
    if (!commanding) return none('not stuck: the plans do not command motion');
    if (commanded_s < window_s) {
      return none(`not stuck: motion commanded for ${commanded_s.toFixed(1)} s of ${window_s.toFixed(1)} s`);
    }
    const newestOdom = this.#odometry[this.#odometry.length - 1];
    const useOdometry = newestOdom !== undefined && nowNs - newestOdom.tNs <= p.odomTimeoutNs;
    const source = useOdometry ? 'odometry' : 'plans';
    const trace = (useOdometry ? this.#odometry : this.#reckoned).filter((s) => s.tNs <= nowNs);
    const startNs = nowNs - p.timeoutNs;
    let first = -1;
    for (let i = 0; i < trace.length && trace[i]!.tNs <= startNs; i++) first = i;
    if (first < 0) return none(`not stuck: ${source} do not cover the last ${window_s.toFixed(1)} s yet`);
    let path_m = 0;
    let rotation_rad = 0;
    for (let i = first + 1; i < trace.length; i++) {
      const a = trace[i - 1]!.pose;
      const b = trace[i]!.pose;
      path_m += Math.hypot(b.x_m - a.x_m, b.y_m - a.y_m);
      rotation_rad += Math.abs(wrapAngle(b.theta_rad - a.theta_rad));
    }
    const start = trace[first]!.pose;
    const end = trace[trace.length - 1]!.pose;
    const progress_m = Math.hypot(end.x_m - start.x_m, end.y_m - start.y_m);
    const stuck = progress_m < p.minProgressM;
    const numbers =
      `net progress ${progress_m.toFixed(2)} m in ${window_s.toFixed(1)} s (path ${path_m.toFixed(2)} m, ` +
      `turned ${rotation_rad.toFixed(2)} rad; ${source}) while the plans commanded motion for ${commanded_s.toFixed(1)} s`;
    const message = stuck
      ? `stuck, ${describeMotion(progress_m, path_m, rotation_rad, p.minProgressM)}: ${numbers}; ` +
        `minimum progress ${p.minProgressM} m`
      : `not stuck: ${numbers}`;
    return { stuck, source, progress_m, path_m, rotation_rad, commanded_s, message };
  }

  /** Keeps the newest sample at or before the window start (the window's base) and everything after it. */
  #prune(trace: Sample[], nowNs: TimeNs): void {
    const startNs = nowNs - this.#params.timeoutNs;
    let base = 0;
    while (base + 1 < trace.length && trace[base + 1]!.tNs <= startNs) base++;
    if (base > 0) trace.splice(0, base);
  }
}

export function commandsMotion(
  actions: readonly PlanStep[],
  params: Pick<StuckParams, 'motionPathM' | 'motionRotationRad'>,
): boolean {
  let path = 0;
  let turn = 0;
  for (const a of actions) {
    path += Math.hypot(a.dx_m, a.dy_m);
    turn += Math.abs(a.dtheta_rad);
  }
  return path >= params.motionPathM || turn >= params.motionRotationRad;
}

/** The trajectory the controller would follow for `plan`, or undefined when it would refuse the plan. */
function executableTrajectory(plan: PlannedPath): Trajectory | undefined {
  try {
    return trajectoryFromPlan(plan);
  } catch (err) {
    if (err instanceof InvalidPlanError) return undefined;
    throw err;
  }
}

/**
 * The motion of a plan from its stamp until `untilNs`, each step an arc (as the controller executes it); the
 * whole plan once it has run out, and none for a refused plan.
 */
function executedMotion(trajectory: Trajectory | undefined, untilNs: TimeNs): Pose2D {
  if (!trajectory) return IDENTITY_POSE;
  return (
    sampleTrajectory(trajectory, untilNs)?.pose ?? trajectory.waypoints[trajectory.waypoints.length - 1]!
  );
}

function describeMotion(progress_m: number, path_m: number, rotation_rad: number, min_m: number): string {
  if (path_m >= 2 * progress_m + min_m) return 'oscillating without net progress';
  if (rotation_rad >= Math.PI / 2) return 'turning in place';
  return 'not moving although commanded to';
}
