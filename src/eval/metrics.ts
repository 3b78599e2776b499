/**
 * Offline evaluation of a run: each plan's predicted 2 s trajectory against the motion the robot actually
 * made from the plan stamp on, plan latency, smoothness of the commanded Twists and stop behaviour. Pure:
 * messages in (collected from a bag by `collect.ts`), report out.
 */
import type { PlanMsg, PlannerStatusMsg } from '../messages/ros';
import { nsToSeconds, secondsToNs, stampToNs, type TimeNs } from '../messages/time';
import { between, wrapAngle, type Pose2D } from '../geometry/se2';
import { InvalidPlanError, type Trajectory } from '../geometry/trajectory';
import { trajectoryFromPlanMsg } from '../messages/plan';
import {
  commandJerk,
  commandSamples,
  stopEvents,
  stopRows,
  type StampedControllerStatus,
  type StampedTwist,
} from './commands';
import { OdometryTrack, type StampedOdometry } from './odometry';
import {
  DEFAULT_EVAL_OPTIONS,
  EVAL_REPORT_VERSION,
  summarize,
  type EvalOptions,
  type EvalReport,
  type PlanRow,
  type SkippedPlan,
  type StatusRow,
} from './report';

export interface EvalInput {
  /** What is evaluated (the bag path), carried into the report. */
  readonly source: string;
  readonly plans: readonly PlanMsg[];
  readonly odometry: readonly StampedOdometry[];
  readonly commands: readonly StampedTwist[];
  readonly plannerStatuses: readonly PlannerStatusMsg[];
  readonly controllerStatuses: readonly StampedControllerStatus[];
  /** Problems already met while collecting the input. */
  readonly notes?: readonly string[];
}

/** At most this many notes of one kind are kept; the rest are counted. */
export const MAX_NOTES_PER_KIND = 20;

/** The robot's motion over the plan's steps, relative to its pose at the stamp (the plan frame). */
export function actualWaypoints(
  track: OdometryTrack,
  stampNs: TimeNs,
  stepNs: TimeNs,
  steps: number,
): Pose2D[] | undefined {
  const start = track.poseAt(stampNs);
  if (!start) return undefined;
  const out: Pose2D[] = [];
  for (let k = 0; k <= steps; k++) {
    const p = track.poseAt(stampNs + stepNs * BigInt(k));
    if (!p) return undefined;
    out.push(between(start, p));
  }
  return out;
}

/** ADE, FDE and final heading error of predicted against actual waypoints (index 0, the stamp, excluded). */
export function trajectoryErrors(
  predicted: readonly Pose2D[],
  actual: readonly Pose2D[],
): { ade_m: number; fde_m: number; final_heading_error_rad: number } {
  if (predicted.length !== actual.length || predicted.length < 2) {
    throw new RangeError(
      `need equally long waypoint lists of at least 2, got ${predicted.length} and ${actual.length}`,
    );
  }
  const errors = predicted
    .slice(1)
    .map((p, i) => Math.hypot(p.x_m - actual[i + 1]!.x_m, p.y_m - actual[i + 1]!.y_m));
  const n = predicted.length - 1;
  return {
    ade_m: errors.reduce((s, e) => s + e, 0) / n,
    fde_m: errors[n - 1]!,
    final_heading_error_rad: wrapAngle(predicted[n]!.theta_rad - actual[n]!.theta_rad),
  };
}

function planStampS(plan: PlanMsg): number {
  const { sec, nanosec } = plan.header.stamp;
  return sec + nanosec / 1e9;
}

function statusRow(s: PlannerStatusMsg): StatusRow {
  return {
    plan_sequence: s.plan_sequence,
    stamp_s: nsToSeconds(stampToNs(s.header.stamp)),
    encode_ms: s.encode_ms,
    history_ms: s.history_ms,
    text_ms: s.text_ms,
    dit_ms: s.dit_ms,
    action_ms: s.action_ms,
    total_ms: s.total_ms,
  };
}

/** Keeps the first MAX_NOTES_PER_KIND lines and says how many more there were. */
export function capNotes(lines: readonly string[], kind: string): string[] {
  if (lines.length <= MAX_NOTES_PER_KIND) return [...lines];
  return [...lines.slice(0, MAX_NOTES_PER_KIND), `… and ${lines.length - MAX_NOTES_PER_KIND} more ${kind}`];
}

export function evaluateRun(input: EvalInput, overrides: Partial<EvalOptions> = {}): EvalReport {
  const options: EvalOptions = { ...DEFAULT_EVAL_OPTIONS, ...overrides };
  const track = OdometryTrack.fromMessages(input.odometry, options.odomTopic);
  const cmd = commandSamples(input.commands, options.cmdVelTopic);
  const maxGapNs = secondsToNs(options.maxOdomGap_s);

  // Only statuses that report a plan carry stage latencies; the others (episode changes, diagnostics) hold zeros.
  const statuses = input.plannerStatuses.filter((s) => s.total_ms > 0).map(statusRow);
  const statusTotalBySequence = new Map(statuses.map((s) => [s.plan_sequence, s.total_ms / 1000]));
  const plans: PlanRow[] = [];
  const skipped: SkippedPlan[] = [];
  for (const plan of input.plans) {
    const latency_s =
      typeof plan.latency_s === 'number' && Number.isFinite(plan.latency_s) && plan.latency_s > 0
        ? plan.latency_s
        : (statusTotalBySequence.get(plan.sequence) ?? null);
    const row = comparePlan(plan, latency_s, track, maxGapNs);
    if ('reason' in row) skipped.push(row);
    else plans.push(row);
  }

  const stops = stopRows(stopEvents(input.controllerStatuses, cmd.samples), cmd.samples, track, options);
  const jerk = commandJerk(cmd.samples, options.maxCommandGap_s);
  const notes = [
    ...(input.notes ?? []),
    ...capNotes(track.rejected, `rejected ${options.odomTopic} samples`),
    ...capNotes(cmd.rejected, `rejected ${options.cmdVelTopic} commands`),
  ];
  return {
    version: EVAL_REPORT_VERSION,
    source: input.source,
    options,
    plans,
    skipped,
    statuses,
    stops,
    summary: summarize({
      plans,
      skipped,
      statuses,
      stops,
      jerk,
      odometry: { samples: track.samples.length, rejected: track.rejected.length },
      commands: { samples: cmd.samples.length, rejected: cmd.rejected.length },
    }),
    notes,
  };
}

/** One plan against what the odometry says the robot did over the plan's window, or why it cannot be compared. */
function comparePlan(
  plan: PlanMsg,
  latency_s: number | null,
  track: OdometryTrack,
  maxGapNs: TimeNs,
): PlanRow | SkippedPlan {
  const base = { sequence: plan.sequence, stamp_s: planStampS(plan), latency_s };
  let trajectory: Trajectory;
  try {
    trajectory = trajectoryFromPlanMsg(plan);
  } catch (err) {
    if (!(err instanceof InvalidPlanError)) throw err;
    return { ...base, reason: 'invalid_plan', detail: err.message };
  }
  const steps = trajectory.twists.length;
  const endNs = trajectory.stampNs + trajectory.stepNs * BigInt(steps);
  const problem = track.coverageProblem(trajectory.stampNs, endNs, maxGapNs);
  const actual = problem ? undefined : actualWaypoints(track, trajectory.stampNs, trajectory.stepNs, steps);
  if (!actual) {
    return {
      ...base,
      reason: 'odometry_not_covered',
      detail: problem ?? 'odometry does not cover the plan window',
    };
  }
  const predicted = trajectory.waypoints;
  const end = (w: readonly Pose2D[]) => Math.hypot(w[steps]!.x_m, w[steps]!.y_m);
  return {
    sequence: plan.sequence,
    episode_id: plan.episode_id,
    stamp_s: base.stamp_s,
    steps,
    latency_s,
    ...trajectoryErrors(predicted, actual),
    predicted_distance_m: end(predicted),
    actual_distance_m: end(actual),
  };
}
