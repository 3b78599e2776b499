import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { NODES } from '../../src/cli/commands/node';
import { loadConfigFile } from '../../src/config';

const root = join(__dirname, '..', '..');
const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8');
const launchFiles = readdirSync(join(root, 'launch')).filter((f) => f.endsWith('.launch.py'));
const HELPERS = join('sparse_video_nav_launch', '__init__.py');
const helpers = read(HELPERS);
/** svnav nodes a launch text starts: `svnav_node('name', …)`. */
const startedNodes = (text: string) => [...text.matchAll(/svnav_node\('([\w-]+)'/g)].map((m) => m[1]!);
const pythons = new Map<string, string | undefined>();

/** A python3 that can import `module`: the one on PATH first, then Debian's (where python3-catkin-pkg lives). */
function pythonWith(module: string): string | undefined {
  if (pythons.has(module)) return pythons.get(module);
  pythons.set(module, undefined);
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.status === 0) {
      pythons.set(module, python);
      return python;
    }
  }
  return undefined;
}

describe('ROS packaging', () => {
  it('has the three launch files', () => {
    assert.deepEqual(launchFiles.sort(), ['navigate.launch.py', 'planner_host.launch.py', 'robot.launch.py']);
  });

  for (const file of launchFiles) {
    describe(`launch/${file}`, () => {
      const text = read('launch', file);

      it('refers only to config files that exist and load with the config schema', () => {
        const referenced = [...text.matchAll(/'([\w.-]+\.(?:yaml|xml))'/g)].map((m) => m[1]!);
        assert.ok(
          referenced.some((f) => f.endsWith('.yaml')),
          'no parameter file referenced',
        );
        for (const name of referenced) {
          const path = join(root, 'config', name);
          assert.ok(existsSync(path), `${file} refers to config/${name}, which does not exist`);
          if (name.endsWith('.yaml')) loadConfigFile(path);
        }
      });

      it('starts svnav nodes only through the shared helpers, and only nodes svnav knows', () => {
        const names = [
          ...startedNodes(text),
          ...(/planner_host_nodes/.test(text) ? startedNodes(helpers) : []),
        ];
        assert.ok(names.length > 0, 'no svnav node started');
        for (const name of names) assert.ok(name in NODES, `${file} starts unknown node "${name}"`);
        assert.doesNotMatch(text, /Node\(|executable=/, 'a node block written out instead of svnav_node()');
      });

      it('imports only what sparse_video_nav_launch defines, and sets up DDS through it', () => {
        const imported = /from sparse_video_nav_launch import \(?([\w,\s]+?)\)?\n/.exec(text)?.[1];
        assert.ok(imported, 'does not import sparse_video_nav_launch');
        const defined = new Set([...helpers.matchAll(/^def (\w+)\(/gm)].map((m) => m[1]!));
        for (const name of imported
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)) {
          assert.ok(defined.has(name), `${file} imports ${name}, which sparse_video_nav_launch lacks`);
        }
        assert.match(text, /\*dds_environment\(\)/);
      });
    });
  }

  it('the launch helpers start `node <share>/bin/svnav.js node <name>` and export the Cyclone DDS config', () => {
    assert.match(helpers, /executable='node'/);
    assert.match(helpers, /arguments=\[os\.path\.join\(share\(\), 'bin', 'svnav\.js'\), 'node', name\]/);
    assert.match(helpers, /SetEnvironmentVariable\('CYCLONEDDS_URI', uri\)/);
    assert.match(helpers, /CYCLONEDDS_CONFIG = 'cyclonedds\.xml'/);
    assert.ok(existsSync(join(root, 'config', 'cyclonedds.xml')));
    // The viz node runs where the planner runs, behind viz:=true (default on).
    assert.deepEqual(startedNodes(helpers).sort(), ['planner', 'viz']);
    assert.match(helpers, /DeclareLaunchArgument\(\s*'viz',\s*default_value='true'/);
  });

  it('installs the launch helpers as a Python package with the ROS package', () => {
    assert.match(read('CMakeLists.txt'), /find_package\(ament_cmake_python REQUIRED\)/);
    assert.match(read('CMakeLists.txt'), /ament_python_install_package\(sparse_video_nav_launch\)/);
    assert.match(read('package.xml'), /<buildtool_depend>ament_cmake_python<\/buildtool_depend>/);
    assert.match(read('package.xml'), /<exec_depend>foxglove_msgs<\/exec_depend>/);
  });

  it('launch files are valid Python', function () {
    const python = pythonWith('ast');
    if (!python) {
      console.log('      (skipped: no python3 to parse the launch files)');
      this.skip();
    }
    const script = 'import ast, sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)';
    const files = [...launchFiles.map((f) => join(root, 'launch', f)), join(root, HELPERS)];
    const r = spawnSync(python, ['-c', script, ...files], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  });

  it('navigate.launch.py records every topic to MCAP when record:=true', () => {
    const text = read('launch', 'navigate.launch.py');
    assert.match(text, /cmd=\['ros2', 'bag', 'record', '-s', 'mcap', '-a'\]/);
    assert.match(text, /condition=IfCondition\(LaunchConfiguration\('record'\)\)/);
    assert.match(text, /DeclareLaunchArgument\('record'/);
    // instruction, model_dir (planner_arguments), config (common_arguments) and viz come from the helpers.
    assert.match(text, /\*planner_arguments\(\),\s*\*common_arguments\(DEFAULT_CONFIG\),\s*viz_argument\(\)/);
    for (const arg of [
      'instruction',
      'config',
      'model_dir',
      'params_file',
      'use_sim_time',
      'allow_untrained',
    ]) {
      assert.match(helpers, new RegExp(`DeclareLaunchArgument\\(\\s*'${arg}'`));
    }
  });

  it('ships a Cyclone DDS config with a socket receive buffer of at least 4 MB', () => {
    const xml = read('config', 'cyclonedds.xml');
    assert.match(xml, /<CycloneDDS xmlns="https:\/\/cdds\.io\/config">/);
    assert.match(xml, /<Internal>\s*<SocketReceiveBufferSize min="4MB"\/>\s*<\/Internal>/);
  });

  it('the split-deployment configs wire the camera relay to the planner host', () => {
    const robot = loadConfigFile(join(root, 'config', 'go2_robot.yaml'));
    const host = loadConfigFile(join(root, 'config', 'go2_planner_host.yaml'));
    assert.equal(robot.camera.type, 'sensor_msgs/msg/Image');
    assert.equal(host.camera.type, 'sensor_msgs/msg/CompressedImage');
    assert.equal(host.camera.topic, robot.camera.relay_topic);
    assert.ok(robot.camera.relay_rate_hz > 4, 'the relay must run above the model’s 4 FPS');
    assert.equal(host.planner.heartbeat_topic, robot.planner.heartbeat_topic);
    assert.equal(host.planner.plan_topic, robot.planner.plan_topic);
  });

  it('package.xml is format 3, names sparse_video_nav and is an interface package', () => {
    const xml = read('package.xml');
    assert.match(xml, /<package format="3">/);
    assert.match(xml, /<name>sparse_video_nav<\/name>/);
    assert.match(xml, /<buildtool_depend>rosidl_default_generators<\/buildtool_depend>/);
    assert.match(xml, /<member_of_group>rosidl_interface_packages<\/member_of_group>/);
  });

  it('package.xml passes catkin_pkg validation (what colcon runs)', function () {
    const python = pythonWith('catkin_pkg');
    if (!python) {
      console.log('      (skipped: python3-catkin-pkg is not installed; .ci/run installs it)');
      this.skip();
    }
    const script = [
      'import sys',
      'from catkin_pkg.package import parse_package',
      'p = parse_package(sys.argv[1])',
      'p.validate()',
      'print(p.name, p.package_format)',
    ].join('\n');
    const r = spawnSync(python, ['-c', script, join(root, 'package.xml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'sparse_video_nav 3');
  });

  it('every msg/*.msg parses and depends only on packages CMakeLists and package.xml declare', () => {
    const cmake = read('CMakeLists.txt');
    const xml = read('package.xml');
    const deps = /DEPENDENCIES ([\w ]+)\n/.exec(cmake)?.[1]?.trim().split(/\s+/) ?? [];
    const msgs = readdirSync(join(root, 'msg')).filter((f) => f.endsWith('.msg'));
    assert.ok(msgs.length >= 3);
    for (const file of msgs) {
      const [root_] = parseMsg(read('msg', file), { ros2: true, skipTypeFixup: true });
      assert.ok(root_ && root_.definitions.length > 0, `${file} has no fields`);
      for (const field of root_.definitions.filter((f) => f.isComplex)) {
        const pkg = field.type.split('/')[0]!;
        assert.ok(
          deps.includes(pkg),
          `${file}: ${field.name} uses ${field.type}; add ${pkg} to DEPENDENCIES`,
        );
        assert.match(
          xml,
          new RegExp(`<depend>${pkg}</depend>`),
          `${file}: package.xml lacks <depend>${pkg}</depend>`,
        );
      }
    }
  });

  it('CMakeLists installs dist, bin, launch, config and msg into share/sparse_video_nav', () => {
    const cmake = read('CMakeLists.txt');
    const installed = [
      ...cmake.matchAll(/install\(DIRECTORY ([\w ]+?) DESTINATION share\/\$\{PROJECT_NAME\}/g),
    ].flatMap((m) => m[1]!.split(/\s+/));
    // node_modules is installed package by package (run-time ones only, scripts/runtime-modules.cjs).
    assert.match(
      cmake,
      /install\(DIRECTORY node_modules\/\$\{module\} DESTINATION share\/\$\{PROJECT_NAME\}\/node_modules/,
    );
    for (const dir of ['dist', 'bin', 'launch', 'config', 'msg']) {
      assert.ok(
        installed.includes(dir),
        `CMakeLists does not install ${dir}/ (installs ${installed.join(', ')})`,
      );
    }
    assert.match(cmake, /project\(sparse_video_nav C CXX\)/);
  });
});
