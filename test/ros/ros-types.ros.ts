import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROS_TYPES_DIR } from '../../scripts/ros-types/main';
import { generatedMessageTypes } from '../../scripts/ros-types/rclnodejs-generator';
import { requireRos } from './require-ros';

const root = join(__dirname, '..', '..');

/**
 * With ROS 2 sourced and rclnodejs built, `npm run typecheck:ros` takes its interfaces from rclnodejs's own
 * generator (this checkout's msg/ included) and checks that the fallback generator agrees with it.
 */
describe('ROS 2: typecheck:ros uses rclnodejs’s own interface generator', function () {
  this.timeout(180_000);

  before(function () {
    requireRos(this);
  });

  it('generates with rclnodejs, includes our msg/, and finds the fallback in agreement', () => {
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'scripts/ros-types/main.ts'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(
      run.stdout,
      /rclnodejs's own generator: rclnodejs@\d+\.\d+\.\d+.* from .*, ROS \w+, \d+ message/,
    );
    const agreed = /agrees with it on all (\d+) interfaces/.exec(run.stdout);
    assert.ok(agreed && Number(agreed[1]) >= 100, run.stdout);

    const interfaces = join(ROS_TYPES_DIR, 'types', 'interfaces.d.ts');
    const types = generatedMessageTypes(interfaces);
    const ours = readdirSync(join(root, 'msg'))
      .filter((f) => f.endsWith('.msg'))
      .map((f) => `sparse_video_nav/msg/${basename(f, '.msg')}`);
    assert.ok(ours.length > 0);
    for (const t of [...ours, 'sensor_msgs/msg/Image', 'nav_msgs/msg/Odometry', 'unitree_api/msg/Request']) {
      assert.ok(types.includes(t), `${t} in ${interfaces}`);
    }
    // rostsd_gen writes a descriptor namespace per folder; the fallback never does.
    assert.match(readFileSync(interfaces, 'utf8'), /namespace descriptor \{/);
  });
});
