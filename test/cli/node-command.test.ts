import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { EXIT_NO_ROS, registerNodeCommand, runNode, type NodeCommandDeps } from '../../src/cli/commands/node';
import type { SvnavConfig } from '../../src/config';
import type { Twist } from '../../src/messages/ros';
import { InMemoryTransport } from '../../src/transport/memory';
import type { LoadOptions } from '../../src/transport/ros';

/** The in-memory transport carrying a config, as the rclnodejs transport does after reading parameters. */
class ConfiguredTransport extends InMemoryTransport {
  closed = false;
  constructor(readonly config: SvnavConfig) {
    super();
  }
  override async close(): Promise<void> {
    this.closed = true;
    await super.close();
  }
}

function harness() {
  const errors: string[] = [];
  const loads: LoadOptions[] = [];
  let transport: ConfiguredTransport | undefined;
  let fire: ((signal: string) => void) | undefined;
  const deps: NodeCommandDeps = {
    loadTransport: async (options) => {
      loads.push(options);
      transport = new ConfiguredTransport(options.baseConfig);
      return { transport };
    },
    onShutdownSignal: (handler) => {
      fire = handler;
      return () => (fire = undefined);
    },
    error: (m) => errors.push(m),
  };
  const signal = async (s: string) => {
    for (let i = 0; i < 50 && !fire; i++) await new Promise((r) => setImmediate(r));
    assert.ok(fire, 'the node did not wait for a shutdown signal');
    fire(s);
  };
  return { deps, errors, loads, signal, transport: () => transport! };
}

describe('svnav node', () => {
  it('runs the controller until SIGTERM, then publishes a zero Twist and shuts the transport down', async () => {
    const h = harness();
    const run = runNode('controller', { config: 'config/go2.yaml' }, h.deps);
    await h.signal('SIGTERM');
    assert.equal(await run, 0);
    const t = h.transport();
    const twists = t.messagesOn<Twist>('/cmd_vel');
    assert.ok(twists.length > 0, 'no Twist published');
    assert.deepEqual(twists[twists.length - 1]!.message, {
      linear: { x: 0, y: 0, z: 0 },
      angular: { x: 0, y: 0, z: 0 },
    });
    assert.equal(t.closed, true);
    // --config supplies the declared defaults; the environment check knows what the controller talks in.
    assert.equal(h.loads[0]!.nodeName, 'svnav_controller');
    assert.equal(h.loads[0]!.baseConfig.camera.mount_height_m, 0.32);
    assert.deepEqual(h.loads[0]!.requiredPackages, [
      'std_msgs',
      'geometry_msgs',
      'nav_msgs',
      'sparse_video_nav',
    ]);
    assert.deepEqual(h.loads[0]!.packagesForConfig?.(h.loads[0]!.baseConfig), ['unitree_api']);
  });

  it('runs the camera relay until SIGINT', async () => {
    const h = harness();
    const run = runNode('camera-relay', {}, h.deps);
    await h.signal('SIGINT');
    assert.equal(await run, 0);
    assert.equal(h.loads[0]!.nodeName, 'svnav_camera_relay');
    assert.equal(h.transport().closed, true);
  });

  it('runs the planner node, which reports a model directory it cannot load and publishes no plan', async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'svnav-no-model-'));
    const cfg = join(dir, 'params.yaml');
    writeFileSync(cfg, `/**:\n  ros__parameters:\n    model:\n      dir: ${join(dir, 'missing')}\n`);
    const run = runNode('planner', { config: cfg }, h.deps);
    await h.signal('SIGINT');
    assert.equal(await run, 0);
    assert.equal(h.loads[0]!.nodeName, 'svnav_planner');
    assert.equal(h.transport().messagesOn('/svnav/plan').length, 0);
    assert.equal(h.transport().closed, true);
  });

  it('rejects an unknown node name', async () => {
    const h = harness();
    assert.equal(await runNode('teleop', {}, h.deps), 2);
    assert.match(h.errors[0]!, /unknown node "teleop"; choose one of: controller, camera-relay, planner/);
  });

  it('accepts the --ros-args that ros2 launch appends', async () => {
    const h = harness();
    const program = new Command('svnav').exitOverride();
    registerNodeCommand(program, h.deps);
    const saved = process.exitCode;
    try {
      const run = program.parseAsync([
        'node',
        'svnav',
        'node',
        'controller',
        '--ros-args',
        '-r',
        '__node:=x',
        '--params-file',
        'a.yaml',
      ]);
      await h.signal('SIGINT');
      await run;
      assert.equal(process.exitCode, 0);
      assert.equal(h.loads[0]!.nodeName, 'svnav_controller');
    } finally {
      process.exitCode = saved;
    }
  });

  it('exits with status 2 and says how to fix it when ROS 2 is not sourced', function () {
    if (process.env.ROS_DISTRO) this.skip();
    const env = { ...process.env };
    delete env.AMENT_PREFIX_PATH;
    const args = ['node', 'svnav', 'node', 'controller', '--ros-args', '--params-file', 'config/go2.yaml'];
    // Only the node command is loaded, as `svnav node` would run it: a real process, real exit status.
    const script =
      "const { Command } = require('commander');" +
      "const program = new Command('svnav');" +
      "require('./src/cli/commands/node').registerNodeCommand(program);" +
      `program.parseAsync(${JSON.stringify(args)});`;
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, EXIT_NO_ROS, child.stderr);
    assert.match(child.stderr, /^svnav node controller: the ROS 2 environment is not ready for rclnodejs/);
    assert.match(child.stderr, /ROS_DISTRO is not set: source \/opt\/ros\/<distro>\/setup\.bash/);
  });
});
