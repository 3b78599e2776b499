import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBag, generateDemoBag } from '../../src/bag';
import { between } from '../../src/geometry/se2';
import { defaultConfig } from '../../src/config';
import { evaluateBag } from '../../src/eval/bag';
import { EvalCollector, evalTopicsFromConfig } from '../../src/eval/collect';
import { evaluateRun } from '../../src/eval/metrics';
import { OdometryTrack } from '../../src/eval/odometry';
import { NS_PER_S } from '../../src/messages/time';
import { planMsg } from '../viz/fixtures';

const START = 1_700_000_000n * NS_PER_S;
const STEP = NS_PER_S / 4n;

describe('eval on a recorded bag', function () {
  this.timeout(30_000);
  let dir: string;
  let bag: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'svnav-eval-'));
    bag = join(dir, 'demo.mcap');
    await generateDemoBag(bag, { duration_s: 14, width: 32, height: 18, cameraRate_hz: 4 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates the bag end to end: no plans, every odometry sample and command read, no notes', async () => {
    const report = await evaluateBag(bag, evalTopicsFromConfig(defaultConfig()));
    assert.equal(report.source, bag);
    assert.equal(report.summary.plans_total, 0);
    assert.equal(report.summary.odometry.samples, 14 * 50);
    assert.equal(report.summary.commands.samples, 14 * 20);
    assert.deepEqual(report.notes, []);
  });

  it('reads odometry and commands from the MCAP and scores plans made of the robot’s own motion as exact', async () => {
    const collector = new EvalCollector(bag, evalTopicsFromConfig(defaultConfig()));
    const reader = await openBag(bag);
    try {
      await collector.addAll(reader.messages({ topics: collector.topicList }));
    } finally {
      await reader.close();
    }
    const input = collector.input();
    // The demo bag has no plans; make one per second from its odometry: the 8 steps it actually walked
    // (through the left turn around 11.5 s), and a copy predicting only half of each step.
    const track = OdometryTrack.fromMessages(input.odometry, '/odom');
    const plans = [1, 3, 5, 7, 9, 10, 11].flatMap((t, i) => {
      const stamp = START + BigInt(t) * NS_PER_S;
      const steps = Array.from({ length: 8 }, (_, k) =>
        between(track.poseAt(stamp + STEP * BigInt(k))!, track.poseAt(stamp + STEP * BigInt(k + 1))!),
      );
      const exact = planMsg({
        stampNs: stamp,
        sequence: 2 * i,
        dx_m: steps.map((s) => s.x_m),
        dy_m: steps.map((s) => s.y_m),
        dtheta_rad: steps.map((s) => s.theta_rad),
      });
      const half = { ...exact, sequence: 2 * i + 1, dx_m: steps.map((s) => s.x_m / 2) };
      return [exact, half];
    });
    const report = evaluateRun({ ...input, plans });
    assert.equal(report.summary.plans_evaluated, 14);
    assert.equal(report.summary.odometry.samples, 14 * 50);
    assert.ok(report.summary.commands.samples >= 270, `${report.summary.commands.samples} commands`);
    for (const row of report.plans.filter((p) => p.sequence % 2 === 0)) {
      assert.ok(
        row.fde_m < 1e-9 && Math.abs(row.final_heading_error_rad) < 1e-9,
        `plan ${row.sequence}: ${row.fde_m}`,
      );
    }
    for (const row of report.plans.filter((p) => p.sequence % 2 === 1)) {
      assert.ok(row.fde_m > 0.1 * row.actual_distance_m, `half plan ${row.sequence} FDE ${row.fde_m}`);
    }
    // The demo commands ramp their speeds: a finite, non-zero jerk.
    const jerk = report.summary.command_jerk_rms;
    assert.ok(jerk.vx_mps3! > 0 && Number.isFinite(jerk.vx_mps3!), `jerk ${jerk.vx_mps3}`);
    assert.deepEqual(report.notes, []);
  });
});
