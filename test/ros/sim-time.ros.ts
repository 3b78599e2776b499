import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import {
  FIXTURES,
  isZeroTwist,
  prepareWorkspace,
  Probe,
  report,
  RosProcess,
  type Workspace,
} from './harness';
import { requireRos } from './require-ros';

/**
 * `ros2 bag play --clock` with use_sim_time:=true: the nodes run on the bag's /clock (offered best-effort by the
 * player), so the plans carry the bag's stamps and the controller executes them.
 */
describe('ROS 2: navigate.launch.py on simulated time from ros2 bag play --clock', function () {
  this.timeout(180_000);
  let ws: Workspace;
  let probe: Probe;
  let launch: RosProcess;
  let player: RosProcess | undefined;

  before(async function () {
    requireRos(this);
    ws = prepareWorkspace();
    probe = new Probe(ws, ['/cmd_vel', '/svnav/plan', '/svnav/heartbeat']);
    await probe.waitFor((e) => e.ev === 'ready', 30_000, 'probe start');
    launch = new RosProcess(
      ws,
      'ros2 launch sparse_video_nav navigate.launch.py instruction:="walk to the door" use_sim_time:=true ' +
        `allow_untrained:=true params_file:=${ws.testParams}`,
    );
    await launch.waitForLine(/episode .* navigating/, 90_000);
  });

  after(async () => {
    await player?.kill();
    await launch?.kill();
    await probe?.close();
  });

  it('plans from the bag on its clock and the controller executes them', async () => {
    player = new RosProcess(
      ws,
      `ros2 bag play ${join(FIXTURES, 'go2_raw')} --clock 100 --topics /camera/image_raw /odom`,
    );
    const plan = await probe.waitFor((e) => e.topic === '/svnav/plan', 60_000, 'a plan');
    const moving = await probe.waitFor(
      (e) => e.topic === '/cmd_vel' && e.t > plan.t && !isZeroTwist(e),
      10_000,
      'a non-zero Twist after the plan',
    );
    const stampS = Number(plan.stamp) / 1e9;
    report(
      'sim time',
      `plan ${plan.seq} stamped ${stampS.toFixed(3)} s (bag time); moving ${((moving.t - plan.t) / 1e6).toFixed(0)} ms after it`,
    );
    // The bag was recorded in 2026-11 (its stamps are days before this run): the plan is on the bag's clock.
    assert.ok(Math.abs(stampS * 1000 - Date.now()) > 3_600_000, `plan stamp ${stampS} s is wall time`);
    assert.doesNotMatch(launch.output(), /off this node's clock/);
  });
});
