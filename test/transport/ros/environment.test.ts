import { strict as assert } from 'node:assert';
import {
  checkRosEnvironment,
  loadRclnodejsTransport,
  RosEnvironmentError,
  systemProbe,
  type EnvironmentProbe,
} from '../../../src/transport/ros';
import { defaultConfig } from '../../../src/config';

/** A machine described by its environment variables and the files that exist on it. */
function machine(
  env: Record<string, string>,
  files: string[],
  rclnodejs: string | null = '/pkg/node_modules/rclnodejs',
): EnvironmentProbe {
  const present = new Set(files);
  return {
    env,
    platform: 'linux',
    arch: 'x64',
    packageDir: (name) => (name === 'rclnodejs' && rclnodejs !== null ? rclnodejs : undefined),
    exists: (p) => present.has(p),
    osCodename: () => 'noble',
  };
}

const jazzy = { ROS_DISTRO: 'jazzy', AMENT_PREFIX_PATH: '/ws/install/sparse_video_nav:/opt/ros/jazzy' };
const jazzyFiles = [
  '/opt/ros/jazzy/lib/librcl.so',
  '/opt/ros/jazzy/share/sensor_msgs/package.xml',
  '/ws/install/sparse_video_nav/share/sparse_video_nav/package.xml',
];

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RosEnvironmentError, `expected RosEnvironmentError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the environment to be rejected');
}

describe('ROS environment check (before importing rclnodejs)', () => {
  it('accepts a sourced Jazzy on Ubuntu noble with the prebuilt rclnodejs addon', () => {
    const prebuilt = '/pkg/node_modules/rclnodejs/prebuilds/linux-x64/jazzy-noble-x64-node-rclnodejs.node';
    const env = checkRosEnvironment(
      { requiredPackages: ['sensor_msgs', 'sparse_video_nav'] },
      machine(jazzy, [...jazzyFiles, prebuilt]),
    );
    assert.deepEqual(env, {
      distro: 'jazzy',
      amentPrefixPath: ['/ws/install/sparse_video_nav', '/opt/ros/jazzy'],
      rclnodejsDir: '/pkg/node_modules/rclnodejs',
      addonPath: prebuilt,
    });
  });

  it('prefers an addon built from source (Debian, or a distro without prebuilds)', () => {
    const built = '/pkg/node_modules/rclnodejs/build/Release/rclnodejs.node';
    assert.equal(checkRosEnvironment({}, machine(jazzy, [...jazzyFiles, built])).addonPath, built);
  });

  it('says to source ROS 2 and reinstall rclnodejs when nothing is set up (CI, a fresh shell)', () => {
    const found = problems(() =>
      checkRosEnvironment({ requiredPackages: ['sensor_msgs'] }, machine({}, [], null)),
    );
    assert.deepEqual(found, [
      'ROS_DISTRO is not set: source /opt/ros/<distro>/setup.bash (humble, jazzy or kilted) first',
      "AMENT_PREFIX_PATH is empty: source /opt/ros/<distro>/setup.bash, then your workspace's install/setup.bash",
      'rclnodejs is not installed: npm drops it without a word when its install fails (ROS 2 not sourced at ' +
        '`npm ci`, or its source build failed): source /opt/ros/<distro>/setup.bash, then run ' +
        '`npm install rclnodejs@2.2.0 --foreground-scripts` to build it and see any error',
    ]);
  });

  it('says to run `npm rebuild rclnodejs` when the addon is missing', () => {
    const [problem] = problems(() => checkRosEnvironment({}, machine(jazzy, jazzyFiles)));
    assert.equal(
      problem,
      'the rclnodejs addon is not built (looked for /pkg/node_modules/rclnodejs/build/Release/rclnodejs.node and ' +
        '/pkg/node_modules/rclnodejs/prebuilds/linux-x64/jazzy-noble-x64-node-rclnodejs.node): run `npm rebuild rclnodejs` ' +
        'in the package directory with ROS 2 sourced (source /opt/ros/jazzy/setup.bash)',
    );
  });

  it('names a prefix path without librcl and interface packages that are not built', () => {
    const built = '/pkg/node_modules/rclnodejs/build/Release/rclnodejs.node';
    const env = { ROS_DISTRO: 'humble', AMENT_PREFIX_PATH: '/opt/ros/humble' };
    const found = problems(() =>
      checkRosEnvironment({ requiredPackages: ['sparse_video_nav', 'unitree_api'] }, machine(env, [built])),
    );
    assert.deepEqual(found, [
      'no lib/librcl.so under AMENT_PREFIX_PATH (/opt/ros/humble): source /opt/ros/humble/setup.bash',
      'interface package sparse_video_nav is not on AMENT_PREFIX_PATH: build this package with `colcon build` and source the workspace install/setup.bash',
      'interface package unitree_api is not on AMENT_PREFIX_PATH: install ros-humble-unitree-api or source the workspace that builds it',
    ]);
  });

  it('reports every problem in one error message', () => {
    const err = new RosEnvironmentError(['a', 'b']);
    assert.equal(
      err.message,
      'the ROS 2 environment is not ready for rclnodejs (nothing was loaded):\n  - a\n  - b',
    );
  });

  it('refuses to load the rclnodejs adapter on this machine when ROS 2 is not sourced', async function () {
    if (process.env.ROS_DISTRO) this.skip(); // a developer machine with ROS 2 sourced
    assert.throws(() => checkRosEnvironment({}, systemProbe()), RosEnvironmentError);
    await assert.rejects(
      loadRclnodejsTransport({ nodeName: 'svnav_test', baseConfig: defaultConfig() }),
      (err: Error) => err instanceof RosEnvironmentError && /ROS_DISTRO is not set/.test(err.message),
    );
  });
});
