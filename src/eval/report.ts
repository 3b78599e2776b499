/**
 * The evaluation report: one JSON document per run (a bag), per-plan rows plus a summary, a readable
 * terminal rendering, and a summary across runs pooled from the rows (not an average of averages).
 */
import type { Distribution } from '../stats/distribution';
import { distribution } from '../stats/distribution';

export const EVAL_REPORT_VERSION = 1;

export const STAGES = ['encode_ms', 'history_ms', 'text_ms', 'dit_ms', 'action_ms', 'total_ms'] as const;
export type StageName = (typeof STAGES)[number];

export interface EvalOptions {
  /** Topic named in notes about odometry samples. Default '/odom'. */
  readonly odomTopic: string;
  /** Topic named in notes about commands. Default '/cmd_vel'. */
  readonly cmdVelTopic: string;
  /** Two odometry samples further apart than this inside a plan's window make it uncovered. Default 0.5 s. */
  readonly maxOdomGap_s: number;
  /** The robot is still below these speeds. Defaults 0.05 m/s and 0.1 rad/s. */
  readonly stillLinear_mps: number;
  readonly stillAngular_radps: number;
  /** How long after a stop to wait for stillness and zero Twists. Default 5 s. */
  readonly stopWindow_s: number;
  /** Commands further apart than this are separate streams for the jerk. Default 0.25 s (5 periods at 20 Hz). */
  readonly maxCommandGap_s: number;
}

export const DEFAULT_EVAL_OPTIONS: EvalOptions = Object.freeze({
  odomTopic: '/odom',
  cmdVelTopic: '/cmd_vel',
  maxOdomGap_s: 0.5,
  stillLinear_mps: 0.05,
  stillAngular_radps: 0.1,
  stopWindow_s: 5,
  maxCommandGap_s: 0.25,
});

/** One evaluated plan: its predicted trajectory against the motion the robot made from the plan stamp on. */
export interface PlanRow {
  readonly sequence: number;
  readonly episode_id: string;
  readonly stamp_s: number;
  readonly steps: number;
  /** From the plan's latency_s, else the status of the same plan; null when neither says. */
  readonly latency_s: number | null;
  /** Mean and final position error over the plan's waypoints (the stamp's pose excluded). */
  readonly ade_m: number;
  readonly fde_m: number;
  /** Predicted minus actual heading at the end, wrapped to (−π, π]. */
  readonly final_heading_error_rad: number;
  readonly predicted_distance_m: number;
  readonly actual_distance_m: number;
}

export type SkipReason = 'invalid_plan' | 'odometry_not_covered';

export interface SkippedPlan {
  readonly sequence: number;
  readonly stamp_s: number;
  /** Latency does not depend on odometry, so a skipped plan still counts for it. */
  readonly latency_s: number | null;
  readonly reason: SkipReason;
  readonly detail: string;
}

export interface StatusRow {
  readonly plan_sequence: number;
  readonly stamp_s: number;
  readonly encode_ms: number;
  readonly history_ms: number;
  readonly text_ms: number;
  readonly dit_ms: number;
  readonly action_ms: number;
  readonly total_ms: number;
}

export interface StopRow {
  readonly stamp_s: number;
  /** What announced the stop: the controller's status, or the command stream going to zero. */
  readonly source: 'controller_status' | 'zero_command';
  readonly reason: string;
  /** From the stop to the first odometry sample below the stillness speeds; null if not within the window. */
  readonly time_to_still_s: number | null;
  /** From the stop to the first all-zero Twist; null if none within the window. */
  readonly zero_twist_after_s: number | null;
}

export interface JerkStats {
  /** Second differences that went into the RMS. */
  readonly samples: number;
  readonly vx_mps3: number | null;
  readonly vy_mps3: number | null;
  readonly wz_radps3: number | null;
}

export interface EvalSummary {
  readonly plans_total: number;
  readonly plans_evaluated: number;
  readonly plans_skipped: number;
  readonly skipped_by_reason: Partial<Record<SkipReason, number>>;
  readonly ade_m: Distribution | null;
  readonly fde_m: Distribution | null;
  readonly abs_final_heading_error_rad: Distribution | null;
  /** Over every plan, evaluated or skipped. */
  readonly plan_latency_s: Distribution | null;
  readonly stage_latency_ms: Record<StageName, Distribution | null> | null;
  readonly command_jerk_rms: JerkStats;
  readonly stops: {
    readonly count: number;
    readonly reached_still: number;
    readonly with_zero_twist: number;
    readonly time_to_still_s: Distribution | null;
  };
  readonly odometry: { readonly samples: number; readonly rejected: number };
  readonly commands: { readonly samples: number; readonly rejected: number };
}

export interface EvalReport {
  readonly version: typeof EVAL_REPORT_VERSION;
  /** What was evaluated, e.g. the bag path. */
  readonly source: string;
  readonly options: EvalOptions;
  readonly plans: readonly PlanRow[];
  readonly skipped: readonly SkippedPlan[];
  readonly statuses: readonly StatusRow[];
  readonly stops: readonly StopRow[];
  readonly summary: EvalSummary;
  /** Data problems met on the way (rejected samples, malformed statuses), capped with a count of the rest. */
  readonly notes: readonly string[];
}

export interface RunsSummary {
  readonly runs: readonly { readonly source: string; readonly summary: EvalSummary }[];
  /** Every run's rows pooled into one summary (jerk pooled by its sample counts). */
  readonly pooled: EvalSummary;
}

/** Summary of rows; used for one run and, on the concatenated rows, for many. */
export function summarize(parts: {
  plans: readonly PlanRow[];
  skipped: readonly SkippedPlan[];
  statuses: readonly StatusRow[];
  stops: readonly StopRow[];
  jerk: JerkStats;
  odometry: { samples: number; rejected: number };
  commands: { samples: number; rejected: number };
}): EvalSummary {
  const skippedByReason: Partial<Record<SkipReason, number>> = {};
  for (const s of parts.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  const latencies = [...parts.plans, ...parts.skipped]
    .map((p) => p.latency_s)
    .filter((v): v is number => v !== null);
  const stages =
    parts.statuses.length === 0
      ? null
      : (Object.fromEntries(STAGES.map((s) => [s, distribution(parts.statuses.map((r) => r[s]))])) as Record<
          StageName,
          Distribution | null
        >);
  const stillTimes = parts.stops.map((s) => s.time_to_still_s).filter((v): v is number => v !== null);
  return {
    plans_total: parts.plans.length + parts.skipped.length,
    plans_evaluated: parts.plans.length,
    plans_skipped: parts.skipped.length,
    skipped_by_reason: skippedByReason,
    ade_m: distribution(parts.plans.map((p) => p.ade_m)),
    fde_m: distribution(parts.plans.map((p) => p.fde_m)),
    abs_final_heading_error_rad: distribution(parts.plans.map((p) => Math.abs(p.final_heading_error_rad))),
    plan_latency_s: distribution(latencies),
    stage_latency_ms: stages,
    command_jerk_rms: parts.jerk,
    stops: {
      count: parts.stops.length,
      reached_still: stillTimes.length,
      with_zero_twist: parts.stops.filter((s) => s.zero_twist_after_s !== null).length,
      time_to_still_s: distribution(stillTimes),
    },
    odometry: parts.odometry,
    commands: parts.commands,
  };
}

/** RMS of several RMS values over disjoint sample sets: √(Σ nᵢ·rmsᵢ² / Σ nᵢ). */
export function poolJerk(stats: readonly JerkStats[]): JerkStats {
  const n = stats.reduce((s, j) => s + j.samples, 0);
  const pool = (key: 'vx_mps3' | 'vy_mps3' | 'wz_radps3'): number | null => {
    if (n === 0) return null;
    return Math.sqrt(stats.reduce((s, j) => s + j.samples * (j[key] ?? 0) ** 2, 0) / n);
  };
  return { samples: n, vx_mps3: pool('vx_mps3'), vy_mps3: pool('vy_mps3'), wz_radps3: pool('wz_radps3') };
}

export function summarizeRuns(reports: readonly EvalReport[]): RunsSummary {
  const sum = (f: (r: EvalReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  return {
    runs: reports.map((r) => ({ source: r.source, summary: r.summary })),
    pooled: summarize({
      plans: reports.flatMap((r) => r.plans),
      skipped: reports.flatMap((r) => r.skipped),
      statuses: reports.flatMap((r) => r.statuses),
      stops: reports.flatMap((r) => r.stops),
      jerk: poolJerk(reports.map((r) => r.summary.command_jerk_rms)),
      odometry: {
        samples: sum((r) => r.summary.odometry.samples),
        rejected: sum((r) => r.summary.odometry.rejected),
      },
      commands: {
        samples: sum((r) => r.summary.commands.samples),
        rejected: sum((r) => r.summary.commands.rejected),
      },
    }),
  };
}
