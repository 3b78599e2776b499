import { writeFile } from 'node:fs/promises';
import { commitFile, discardTemporary, temporaryPathFor } from '../io/output';
import type { EvalReport } from '../eval/report';
import { formatReport } from '../eval/format';
import type { LatencyModel } from './latency';
import { describeLatencyModel } from './latency';
import type { PeriodStats } from './twist-timing';

export const REPLAY_REPORT_VERSION = 1;

/** What `svnav replay` writes to --report: how the replay ran, what it produced, and the evaluation. */
export interface ReplayReport {
  readonly version: typeof REPLAY_REPORT_VERSION;
  readonly input: string;
  readonly output: string;
  readonly instruction: string;
  readonly mode: 'deterministic' | 'realtime';
  readonly latency_model: LatencyModel;
  readonly camera: { readonly topic: string; readonly type: string; readonly how: 'configured' | 'detected' };
  readonly model: {
    readonly dir: string;
    readonly untrained: boolean;
    readonly provider: string;
    readonly resolution: { readonly height: number; readonly width: number };
  };
  /** Bag time covered, camera frames fed, messages in and out. */
  readonly bag_duration_s: number;
  readonly replayed_s: number;
  readonly camera_frames: number;
  readonly input_messages: number;
  readonly output_messages: Readonly<Record<string, number>>;
  readonly planner: Readonly<Record<string, number>>;
  /** Whole command: model load, replay, evaluation. */
  readonly wall_s: number;
  /** The replay loop alone (bag read, nodes, inference, recording). */
  readonly replay_wall_s: number;
  /** Camera frames per second of replay_wall_s (throughput of the whole wiring, inference included). */
  readonly frames_per_wall_s: number;
  /** Real-time replay only: wall-clock regularity of the controller's Twists while plans ran. */
  readonly twist_timing: PeriodStats | null;
  readonly aborted: boolean;
  /** The BagError that ended reading early, naming file and offset. */
  readonly input_damage: string | null;
  readonly warnings: readonly string[];
  readonly eval: EvalReport;
}

/**
 * JSON with two-space indentation; bigints (none expected) become strings rather than failing. Written beside
 * `path` and moved into place when complete; an existing file is replaced only with `replace` (and only a
 * report svnav wrote, see io/output.ts).
 */
export async function writeJsonReport(
  path: string,
  report: unknown,
  options: { replace?: boolean } = {},
): Promise<void> {
  const text = JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  const temporary = temporaryPathFor(path);
  try {
    await writeFile(temporary, `${text}\n`, { flag: 'wx' });
  } catch (err) {
    discardTemporary(temporary);
    throw err;
  }
  // A complete report that cannot take its name stays at the temporary path, which the error names.
  commitFile(temporary, path, 'json-report', options.replace ?? false);
}

/** The terminal rendering: how the replay ran, then the evaluation table. */
export function formatReplayReport(r: ReplayReport): string {
  const lines = [
    `replay of ${r.input} → ${r.output}`,
    `instruction: "${r.instruction}"`,
    `mode: ${r.mode}; latency: ${describeLatencyModel(r.latency_model)}`,
    `camera: ${r.camera.topic} (${r.camera.type}, ${r.camera.how}); model ${r.model.dir} on ${r.model.provider}` +
      ` at ${r.model.resolution.height}×${r.model.resolution.width}`,
    `replayed ${r.replayed_s.toFixed(1)} of ${r.bag_duration_s.toFixed(1)} s: ${r.camera_frames} camera frames, ` +
      `${r.planner.plans ?? 0} plans, in ${r.replay_wall_s.toFixed(1)} s wall (${r.frames_per_wall_s.toFixed(1)} frames/s)`,
  ];
  if (r.model.untrained) {
    lines.push('UNTRAINED MODEL: seeded networks; the plans and commands are not meaningful navigation.');
  }
  if (r.twist_timing) {
    const t = r.twist_timing;
    lines.push(
      `Twist period (wall clock, ${t.intervals} intervals): p50 ${t.period_ms.p50.toFixed(1)} ms, ` +
        `jitter p99 ${t.jitter_ms.p99.toFixed(1)} ms, max ${t.jitter_ms.max.toFixed(1)} ms (nominal ${t.nominal_ms} ms)`,
    );
  }
  if (r.aborted) lines.push('INTERRUPTED: the output holds what was replayed until then.');
  if (r.input_damage) lines.push(`INPUT DAMAGED: ${r.input_damage}`);
  if (r.warnings.length > 0) lines.push(`warnings:\n${r.warnings.map((w) => `  ${w}`).join('\n')}`);
  return `${lines.join('\n')}\n\n${formatReport(r.eval)}\n`;
}
