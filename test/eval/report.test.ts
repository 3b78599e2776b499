import { strict as assert } from 'node:assert';
import { EvalCollector, evalTopicsFromConfig } from '../../src/eval/collect';
import { formatReport, formatRunsSummary, table } from '../../src/eval/format';
import { evaluateRun } from '../../src/eval/metrics';
import { poolJerk, summarizeRuns } from '../../src/eval/report';
import { distribution, quantile } from '../../src/stats/distribution';
import { parseConfig } from '../../src/config';
import { closeTo, odometry, planMsg } from '../viz/fixtures';
import { arcPose, at, commands, emptyInput, odometryTrack, plannerStatus, twist } from './fixtures';

const topics = evalTopicsFromConfig(parseConfig({}));

/** A 10 s run driving at `v` m/s with one plan per second predicting `dx` per step. */
function run(source: string, v: number, dx: number) {
  const odom = odometryTrack(0, 10, 50, arcPose({ x_m: 0, y_m: 0, theta_rad: 0 }, v, 0), () => ({ vx: v }));
  const plans = [1, 2, 3, 4, 5, 6, 7].map((t, k) =>
    planMsg({ stampNs: at(t), sequence: k, dx_m: dx, latency_s: 0.5 + 0.1 * k }),
  );
  const cmds = commands(0, 10, 20, (t) => twist(0.1 * t * t));
  return evaluateRun(emptyInput({ source, odometry: odom, plans, commands: cmds }));
}

describe('eval report', () => {
  it('computes quantiles by linear interpolation and gives null, not NaN, for no samples', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    closeTo(quantile([1, 2, 3, 4], 0.95), 3.85, 1e-12, 'p95');
    assert.equal(distribution([]), null);
    assert.deepEqual(distribution([3, 1, 2]), { count: 3, mean: 2, p50: 2, p95: 2.9, max: 3 });
  });

  it('serialises to JSON without NaN even when a run has no plans, commands or odometry', () => {
    const report = evaluateRun(emptyInput());
    const json = JSON.stringify(report);
    assert.ok(!json.includes('NaN'));
    assert.deepEqual(JSON.parse(json), report);
    assert.equal(report.summary.ade_m, null);
    assert.match(formatReport(report), /plans: 0 evaluated, 0 skipped/);
  });

  it('pools many runs from their rows, not by averaging their averages', () => {
    const a = run('a.mcap', 0.4, 0.1); // exact plans
    const b = run('b.mcap', 0.4, 0.05); // half-distance plans: FDE 0.4 m each
    const c = evaluateRun(
      emptyInput({ source: 'c.mcap', plans: [planMsg({ stampNs: at(1), dx_m: 0.1, latency_s: 2 })] }),
    );
    const all = summarizeRuns([a, b, c]);
    assert.deepEqual(
      all.runs.map((r) => r.source),
      ['a.mcap', 'b.mcap', 'c.mcap'],
    );
    const p = all.pooled;
    assert.equal(p.plans_evaluated, 14);
    assert.equal(p.plans_skipped, 1);
    closeTo(p.fde_m!.mean, 0.2, 1e-9, 'pooled mean FDE');
    assert.equal(p.plan_latency_s!.count, 15);
    assert.equal(p.plan_latency_s!.max, 2);
    assert.equal(p.command_jerk_rms.samples, a.summary.command_jerk_rms.samples * 2);
    closeTo(p.command_jerk_rms.vx_mps3!, 0.2, 1e-6, 'pooled jerk of v = 0.1 t²');
  });

  it('pools jerk RMS weighted by sample counts', () => {
    const pooled = poolJerk([
      { samples: 1, vx_mps3: 3, vy_mps3: 0, wz_radps3: 1 },
      { samples: 3, vx_mps3: 1, vy_mps3: 0, wz_radps3: 1 },
      { samples: 0, vx_mps3: null, vy_mps3: null, wz_radps3: null },
    ]);
    closeTo(pooled.vx_mps3!, Math.sqrt((9 + 3) / 4), 1e-12, 'vx');
    closeTo(pooled.wz_radps3!, 1, 1e-12, 'wz');
    assert.deepEqual(poolJerk([]), { samples: 0, vx_mps3: null, vy_mps3: null, wz_radps3: null });
  });

  it('renders a readable table with the summary numbers, per-plan rows on request, and the notes', () => {
    const report = run('demo.mcap', 0.4, 0.05);
    const text = formatReport(report, { rows: true });
    assert.match(text, /^evaluation of demo\.mcap/);
    assert.match(text, /plans: 7 evaluated, 0 skipped/);
    assert.match(text, /FDE \[m\]\s+7\s+0\.400\s+0\.400\s+0\.400\s+0\.400/);
    assert.match(text, /plan latency \[s\]\s+7\s+0\.800\s+0\.800\s+1\.070\s+1\.100/);
    assert.match(text, /command jerk RMS \(199 samples\): vx 0\.20 m\/s³/);
    assert.match(text, /^6\s+1700000007\.000\s+0\.225\s+0\.400\s+0\.000\s+0\.400\s+0\.800\s+1\.100$/m);
    const runs = formatRunsSummary(summarizeRuns([report, run('exact.mcap', 0.4, 0.1)]));
    assert.match(runs, /^demo\.mcap\s+7\/7\s+0\.225\s+0\.400/m);
    assert.match(runs, /^exact\.mcap\s+7\/7\s+0\.000\s+0\.000/m);
    assert.match(runs, /^all 2 runs\s+14\/14\s+0\.113\s+0\.200/m);
  });

  it('aligns table columns', () => {
    assert.equal(
      table(
        ['a', 'bb'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
      'a    bb\n---  --\nxyz   1\nq    22',
    );
  });
});

describe('eval collector', () => {
  it('routes bag messages by the configured topics and turns them into an evaluable input', async () => {
    const collector = new EvalCollector('run.mcap', topics);
    assert.deepEqual(collector.topicList.sort(), [
      '/cmd_vel',
      '/odom',
      '/svnav/controller_status',
      '/svnav/plan',
      '/svnav/status',
    ]);
    const messages = [
      ...odometryTrack(0, 4, 50, arcPose({ x_m: 0, y_m: 0, theta_rad: 0 }, 0.4, 0)).map((o) => ({
        topic: '/odom',
        logTimeNs: o.stampNs + 3_000_000n,
        message: o.msg,
      })),
      { topic: '/svnav/plan', logTimeNs: at(1.8), message: planMsg({ stampNs: at(1), dx_m: 0.1 }) },
      { topic: '/svnav/status', logTimeNs: at(1.8), message: plannerStatus(0, 1.8, 800) },
      { topic: '/cmd_vel', logTimeNs: at(2), message: twist(0.4) },
      {
        topic: '/svnav/controller_status',
        logTimeNs: at(2),
        message: { data: JSON.stringify({ state: 'moving', stop_reason: null }) },
      },
      {
        topic: '/svnav/controller_status',
        logTimeNs: at(3),
        message: { data: JSON.stringify({ state: 'stopped', stop_reason: { kind: 'estop' } }) },
      },
      { topic: '/svnav/controller_status', logTimeNs: at(3.5), message: { data: '{oops' } },
      { topic: '/svnav/controller_status', logTimeNs: at(3.6), message: { data: '{"state":"flying"}' } },
      { topic: '/camera/image_raw', logTimeNs: at(1), message: {} },
    ];
    async function* stream() {
      yield* messages;
    }
    await collector.addAll(stream());
    const input = collector.input();
    assert.equal(input.odometry.length, 201);
    assert.equal(input.odometry[0]!.stampNs, at(0), 'header stamp, not log time');
    assert.equal(input.controllerStatuses.length, 2);
    assert.deepEqual(input.controllerStatuses[1], { timeNs: at(3), state: 'stopped', stopKind: 'estop' });
    assert.equal(input.notes!.length, 2);
    assert.match(input.notes![0]!, /^\/svnav\/controller_status at 1700000003\.500 s: not JSON/);
    assert.match(
      input.notes![1]!,
      /1700000003\.600 s: no state moving\/stopping\/stopped in \{"state":"flying"\}/,
    );
    const report = evaluateRun(input);
    assert.equal(report.plans.length, 1);
    closeTo(report.plans[0]!.fde_m, 0, 1e-9, 'FDE');
    assert.equal(report.stops[0]!.reason, 'estop');
  });

  it('uses the log time of odometry whose header stamp is zero, and says so', () => {
    const collector = new EvalCollector('run.mcap', topics);
    collector.add({
      topic: '/odom',
      logTimeNs: at(1),
      message: odometry(0n, { x_m: 0, y_m: 0, theta_rad: 0 }),
    });
    const input = collector.input();
    assert.equal(input.odometry[0]!.stampNs, at(1));
    assert.deepEqual(input.notes, ['1 /odom messages had a zero header stamp; their log time was used']);
  });
});
