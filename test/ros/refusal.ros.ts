import { strict as assert } from 'node:assert';
import { prepareWorkspace, Probe, RosProcess, rosCommand, type Workspace } from './harness';
import { requireRos } from './require-ros';

/**
 * An untrained model without allow_untrained:=true: the planner refuses, says how to allow it, and reports
 * `failed` in both its heartbeat and its status, so the controller holds the robot.
 */
describe('ROS 2: the planner refuses an untrained model unless allowed', function () {
  this.timeout(120_000);
  let ws: Workspace;
  let probe: Probe;
  let host: RosProcess;

  before(async function () {
    requireRos(this);
    ws = prepareWorkspace();
    probe = new Probe(ws, ['/svnav/status', '/svnav/heartbeat', '/svnav/plan']);
    await probe.waitFor((e) => e.ev === 'ready', 30_000, 'probe start');
    host = new RosProcess(
      ws,
      `ros2 launch sparse_video_nav planner_host.launch.py instruction:="walk" params_file:=${ws.testParams}`,
    );
  });

  after(async () => {
    await host?.kill();
    await probe?.close();
  });

  it('lists allow_untrained, params_file, use_sim_time and viz in --show-args (arguments from the launch helpers)', async () => {
    for (const file of ['navigate', 'planner_host', 'robot']) {
      const shown = await rosCommand(ws, `ros2 launch sparse_video_nav ${file}.launch.py --show-args`);
      assert.equal(shown.status, 0, shown.output);
      assert.match(shown.output, /'params_file'/);
      assert.match(shown.output, /'use_sim_time'/);
      if (file !== 'robot') assert.match(shown.output, /'allow_untrained'/);
      if (file !== 'robot') assert.match(shown.output, /'viz':(?:(?!\n {4}')[^])*?\(default: 'true'\)/);
    }
  });

  it('refuses, says how to allow it, and reports failed in heartbeat and status', async () => {
    const status = await probe.waitFor(
      (e) => e.topic === '/svnav/status' && /REFUSING TO PLAN/.test(String(e.message)),
      90_000,
      'a refusal status',
    );
    assert.match(String(status.message), /allow_untrained:=true/);
    assert.equal(status.state, 'failed');
    const heartbeat = await probe.waitFor(
      (e) => e.topic === '/svnav/heartbeat' && e.t > status.t,
      5000,
      'heartbeat',
    );
    assert.equal(heartbeat.state, 'failed');
    assert.equal(probe.on('/svnav/plan').length, 0);
  });
});
