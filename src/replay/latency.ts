import type { SvnavConfig } from '../config/schema';
import type { PlanMsg } from '../messages/ros';
import { nsToSeconds, type TimeNs } from '../messages/time';
import type { DelayRule } from './bag-transport';

/**
 * How long a plan takes in replay. Deterministic replay runs inference "instantly" in virtual time and delivers
 * the planner's results a fixed, modelled latency after their input frame arrived, so plans, Twists and the
 * evaluation do not depend on the speed of the machine. Real-time replay has the real latency instead.
 */
export type LatencyModel =
  | {
      readonly kind: 'fixed';
      readonly latency_ms: number;
      /** 'configured': --latency-ms N; 'measured': the planner's warm-up plan on this machine. */
      readonly source: 'configured' | 'measured';
    }
  | { readonly kind: 'wall_clock' };

/** Default modelled latency: a sub-second plan on a workstation GPU (SYSTEM.md §5) with margin. */
export const DEFAULT_LATENCY_MS = 350;

export function describeLatencyModel(model: LatencyModel): string {
  return model.kind === 'wall_clock'
    ? 'real latency (wall clock)'
    : `${model.latency_ms.toFixed(0)} ms per plan (${model.source}), deterministic`;
}

/**
 * The planner's outputs that a plan cycle produces (plan, path, imagined future) are delayed by the model's
 * latency; the plan's latency_s grows by the same amount, because in virtual time the node measured ≈0.
 */
export function planDelayRules(config: SvnavConfig, model: LatencyModel): Map<string, DelayRule> {
  if (model.kind !== 'fixed' || model.latency_ms <= 0) return new Map();
  const delayNs: TimeNs = BigInt(Math.round(model.latency_ms * 1e6));
  const p = config.planner;
  const addLatency = (message: unknown, d: TimeNs): unknown => {
    const plan = message as PlanMsg;
    return { ...plan, latency_s: plan.latency_s + nsToSeconds(d) };
  };
  return new Map<string, DelayRule>([
    [p.plan_topic, { delayNs, adjust: addLatency }],
    [p.path_topic, { delayNs }],
    [p.future_topic, { delayNs }],
  ]);
}

/**
 * The latency model of a replay: the wall clock in real time; otherwise the configured latency (default
 * DEFAULT_LATENCY_MS) or the one measured by the warm-up plan of a planner the replay loaded itself.
 */
export function replayLatencyModel(
  mode: 'deterministic' | 'realtime',
  latencyMs: number | 'measured' | undefined,
  measuredMs: number | undefined,
): LatencyModel {
  if (mode === 'realtime') return { kind: 'wall_clock' };
  if (latencyMs === 'measured') {
    if (measuredMs === undefined)
      throw new Error('a measured latency needs the planner loaded by the replay');
    return { kind: 'fixed', latency_ms: Math.round(measuredMs), source: 'measured' };
  }
  const ms = latencyMs ?? DEFAULT_LATENCY_MS;
  if (!(Number.isFinite(ms) && ms >= 0 && ms <= 10_000)) {
    throw new RangeError(`modelled latency must be in [0, 10000] ms, got ${ms}`);
  }
  return { kind: 'fixed', latency_ms: ms, source: 'configured' };
}
