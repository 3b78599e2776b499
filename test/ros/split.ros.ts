import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alive,
  descendants,
  isZeroTwist,
  prepareWorkspace,
  Probe,
  report,
  RosProcess,
  sleep,
  type Workspace,
} from './harness';
import { requireRos } from './require-ros';

const FRAMES = 150;

/**
 * The paper's split deployment: robot.launch.py (controller + camera relay) and planner_host.launch.py (the
 * planner reading the relay's JPEGs), each with its own YAML, fed by a 15 Hz best-effort bgr8 720p camera as the
 * Go2 bridge publishes it. Ends with SIGTERM on both launches, which `ros2 launch` answers by exiting at once.
 */
describe('ROS 2: split deployment (robot.launch.py + planner_host.launch.py)', function () {
  this.timeout(180_000);
  let ws: Workspace;
  let probe: Probe;
  let robot: RosProcess;
  let host: RosProcess;
  let runDir: string;

  before(async function () {
    requireRos(this);
    ws = prepareWorkspace();
    runDir = mkdtempSync(join(ws.dir, 'split-'));
    const env = { ROS_LOG_DIR: join(runDir, 'log') };
    probe = new Probe(ws, [
      '/cmd_vel',
      '/api/sport/request',
      '/svnav/plan',
      '/svnav/heartbeat',
      '/svnav/controller_status',
      '/camera/image_raw/compressed',
    ]);
    await probe.waitFor((e) => e.ev === 'ready', 30_000, 'probe start');
    robot = new RosProcess(
      ws,
      `ros2 launch sparse_video_nav robot.launch.py params_file:=${ws.testParams}`,
      runDir,
      env,
    );
    host = new RosProcess(
      ws,
      'ros2 launch sparse_video_nav planner_host.launch.py instruction:="walk to the door" allow_untrained:=true ' +
        `params_file:=${ws.testParams}`,
      runDir,
      env,
    );
    await probe.waitFor(
      (e) => e.topic === '/svnav/heartbeat' && e.state === 'navigating',
      90_000,
      'planner ready',
    );
    await robot.waitForLine(/camera relay/, 30_000);
  });

  after(async () => {
    await robot?.kill();
    await host?.kill();
    await probe?.close();
    // The run's bag and logs are large; the workspace (colcon's cache) stays.
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it('relays a 15 Hz best-effort 720p camera to the planner, whose plans reach the controller', async () => {
    probe.send({ cmd: 'camera', hz: 15, count: FRAMES, width: 1280, height: 720 });
    const start = await probe.waitFor((e) => e.ev === 'camera_start', 30_000, 'camera reader matched');
    const since = BigInt(start.t);
    const done = await probe.waitFor((e) => e.ev === 'camera_done', 30_000, 'camera publishing done');
    const seconds = (done.t - Number(since)) / 1e9;
    const relayed = probe.on('/camera/image_raw/compressed', since);
    const plans = probe.on('/svnav/plan', since);
    report(
      'split deployment',
      `camera ${(FRAMES / seconds).toFixed(2)} Hz sent; relay ${(relayed.length / seconds).toFixed(2)} Hz ` +
        `(${relayed[0]?.format}, ${relayed[0]?.bytes} B); ${plans.length} plans in ${seconds.toFixed(1)} s`,
    );
    const cameraHz = FRAMES / seconds;
    assert.ok(cameraHz > 13, `the probe published only ${cameraHz} Hz`);
    assert.ok(Math.abs(relayed.length / seconds - 8) < 1.5, `relay at ${relayed.length / seconds} Hz`);
    assert.ok(plans.length >= 4, `${plans.length} plans`);
    const moving = probe.on('/cmd_vel', since).filter((e) => !isZeroTwist(e));
    assert.ok(moving.length > 0, 'the controller never moved on the relayed plans');
    const executed = probe
      .on('/svnav/controller_status', since)
      .map((e) => JSON.parse(e.data as string) as { plan_sequence: number | null })
      .filter((s) => (s.plan_sequence ?? 0) >= 1);
    assert.ok(executed.length > 0, 'no plan executed by the controller');
  });

  it('SIGTERM on both launches: the orphaned controller sends a final zero Twist and StopMove, and every node exits', async () => {
    const nodes = [...descendants(robot.pid), ...descendants(host.pid)].filter((p) =>
      /svnav\.js node/.test(p.cmdline),
    );
    // controller and camera relay on the robot; planner and viz node (viz:=true by default) on the host.
    assert.equal(nodes.length, 4, JSON.stringify(nodes));
    assert.ok(
      nodes.some((n) => /svnav\.js node viz/.test(n.cmdline)),
      'no viz node on the planner host',
    );
    const sentNs = robot.signal('SIGTERM');
    host.signal('SIGTERM');
    await sleep(3000);
    const after = probe.on('/cmd_vel', sentNs);
    const stopMove = probe.on('/api/sport/request', sentNs).find((e) => e.api_id === 1003);
    assert.ok(after.length > 0 && isZeroTwist(after[after.length - 1]!), 'no final zero Twist');
    assert.ok(stopMove, 'no StopMove after SIGTERM');
    const zeroMs = (after.find(isZeroTwist)!.t - Number(sentNs)) / 1e6;
    report(
      'launch SIGTERM',
      `zero Twist ${zeroMs.toFixed(0)} ms, StopMove ${((stopMove.t - Number(sentNs)) / 1e6).toFixed(0)} ms`,
    );
    assert.ok(after.length <= 10, `${after.length} Twists after SIGTERM: the controller kept driving`);
    for (const node of nodes) assert.ok(!alive(node.pid), `${node.cmdline} still running after SIGTERM`);
  });

  it('received every camera frame (relay statistics in its ROS log)', () => {
    const logDir = join(runDir, 'log');
    const line = readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .flatMap((f) => readFileSync(join(logDir, f), 'utf8').split('\n'))
      .find((l) => /camera relay stopped/.test(l));
    assert.ok(line, `no relay statistics in ${logDir}`);
    const received = Number(/(\d+) frames in/.exec(line)![1]);
    report('camera 15 Hz best-effort 720p', `${received} of ${FRAMES} frames received by the relay`);
    assert.equal(received, FRAMES);
  });
});
