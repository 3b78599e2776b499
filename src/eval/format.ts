/** Plain-text rendering of evaluation reports for a terminal: aligned columns, units in the headers. */
import type { EvalReport, EvalSummary, RunsSummary } from './report';
import { STAGES } from './report';
import type { Distribution } from '../stats/distribution';

/** Left-aligns the first column, right-aligns the others. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

function distRow(name: string, d: Distribution | null, digits = 3): string[] {
  return [
    name,
    d ? String(d.count) : '0',
    num(d?.mean, digits),
    num(d?.p50, digits),
    num(d?.p95, digits),
    num(d?.max, digits),
  ];
}

export function formatSummary(s: EvalSummary): string {
  const skipped = Object.entries(s.skipped_by_reason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const parts = [
    `plans: ${s.plans_evaluated} evaluated, ${s.plans_skipped} skipped${skipped ? ` (${skipped})` : ''}`,
    table(
      ['metric', 'n', 'mean', 'p50', 'p95', 'max'],
      [
        distRow('ADE [m]', s.ade_m),
        distRow('FDE [m]', s.fde_m),
        distRow('|final heading error| [rad]', s.abs_final_heading_error_rad),
        distRow('plan latency [s]', s.plan_latency_s),
        distRow('time to still after stop [s]', s.stops.time_to_still_s),
      ],
    ),
  ];
  if (s.stage_latency_ms) {
    const stages = s.stage_latency_ms;
    parts.push(
      table(
        ['stage latency [ms]', 'n', 'mean', 'p50', 'p95', 'max'],
        STAGES.map((k) => distRow(k, stages[k], 1)),
      ),
    );
  }
  const j = s.command_jerk_rms;
  parts.push(
    `command jerk RMS (${j.samples} samples): vx ${num(j.vx_mps3, 2)} m/s³, vy ${num(j.vy_mps3, 2)} m/s³, wz ${num(j.wz_radps3, 2)} rad/s³`,
    `stops: ${s.stops.count}, ${s.stops.reached_still} reached still, ${s.stops.with_zero_twist} followed by a zero Twist`,
    `odometry: ${s.odometry.samples} samples, ${s.odometry.rejected} rejected; commands: ${s.commands.samples}, ${s.commands.rejected} rejected`,
  );
  return parts.join('\n\n');
}

/** The run's summary, optionally every plan and stop, and its notes. */
export function formatReport(report: EvalReport, options: { rows?: boolean } = {}): string {
  const parts = [`evaluation of ${report.source}`, formatSummary(report.summary)];
  if (options.rows && report.plans.length > 0) {
    parts.push(
      table(
        ['plan', 'stamp [s]', 'ADE [m]', 'FDE [m]', 'head [rad]', 'pred [m]', 'actual [m]', 'latency [s]'],
        report.plans.map((p) => [
          String(p.sequence),
          p.stamp_s.toFixed(3),
          num(p.ade_m),
          num(p.fde_m),
          num(p.final_heading_error_rad),
          num(p.predicted_distance_m),
          num(p.actual_distance_m),
          num(p.latency_s),
        ]),
      ),
    );
  }
  if (options.rows && report.stops.length > 0) {
    parts.push(
      table(
        ['stop', 'stamp [s]', 'source', 'still after [s]', 'zero Twist after [s]'],
        report.stops.map((s, i) => [
          `${i + 1} ${s.reason}`,
          s.stamp_s.toFixed(3),
          s.source,
          num(s.time_to_still_s),
          num(s.zero_twist_after_s),
        ]),
      ),
    );
  }
  if (options.rows && report.skipped.length > 0) {
    parts.push(report.skipped.map((s) => `skipped plan ${s.sequence} (${s.reason}): ${s.detail}`).join('\n'));
  }
  if (report.notes.length > 0) parts.push(`notes:\n${report.notes.map((n) => `  ${n}`).join('\n')}`);
  return parts.join('\n\n');
}

/** One line per run and a pooled line, then the pooled summary in full. */
export function formatRunsSummary(summary: RunsSummary): string {
  const row = (name: string, s: EvalSummary) => [
    name,
    `${s.plans_evaluated}/${s.plans_total}`,
    num(s.ade_m?.mean),
    num(s.fde_m?.mean),
    num(s.abs_final_heading_error_rad?.mean),
    num(s.plan_latency_s?.p50),
    num(s.plan_latency_s?.p95),
    num(s.command_jerk_rms.vx_mps3, 2),
    num(s.command_jerk_rms.wz_radps3, 2),
    `${s.stops.reached_still}/${s.stops.count}`,
  ];
  return [
    table(
      [
        'run',
        'plans',
        'ADE [m]',
        'FDE [m]',
        '|head| [rad]',
        'lat p50 [s]',
        'lat p95 [s]',
        'jerk vx',
        'jerk wz',
        'stops still',
      ],
      [
        ...summary.runs.map((r) => row(r.source, r.summary)),
        row(`all ${summary.runs.length} runs`, summary.pooled),
      ],
    ),
    formatSummary(summary.pooled),
  ].join('\n\n');
}
