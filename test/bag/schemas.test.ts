import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import {
  fieldDependencies,
  MessageDefinitionRegistry,
  packageMsgSource,
  schemaName,
  SCHEMA_SEPARATOR,
  shortTypeName,
  splitMergedSchema,
} from '../../src/bag/schemas';
import { BagError } from '../../src/bag/errors';
import { CdrCodec } from '../../src/bag/codec';
import { RAW_BAG, tempDir } from './helpers';

const msgSections = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('MSG: '))
    .map((l) => l.slice(5))
    .sort();

describe('bag schemas', () => {
  const registry = MessageDefinitionRegistry.withDefaults();

  it('spells type names as rosbag2 does', () => {
    assert.equal(schemaName('nav_msgs/Odometry'), 'nav_msgs/msg/Odometry');
    assert.equal(schemaName('nav_msgs/msg/Odometry'), 'nav_msgs/msg/Odometry');
    assert.equal(shortTypeName('nav_msgs/msg/Odometry'), 'nav_msgs/Odometry');
    assert.throws(() => shortTypeName('Odometry'), /not a ROS message type name: 'Odometry'/);
  });

  it('lists complex field types, resolving same-package names and skipping primitives and constants', () => {
    const def =
      'std_msgs/Header header # comment\nPose[] poses\nfloat64[36] covariance\nuint8 ALL=1\nstring<=8 name\nbuiltin_interfaces/msg/Time t';
    assert.deepEqual(fieldDependencies('geometry_msgs/PoseArray', def), [
      'std_msgs/Header',
      'geometry_msgs/Pose',
      'builtin_interfaces/Time',
    ]);
  });

  it('merges a type with each dependency once after 80 "=" and MSG: lines, the same set Jazzy recorded', async () => {
    const handle = await open(RAW_BAG, 'r');
    try {
      const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
      assert.equal(reader.schemasById.size, 5);
      for (const schema of reader.schemasById.values()) {
        const recorded = new TextDecoder().decode(schema.data);
        const ours = registry.mergedSchema(schema.name);
        const separators = ours.split('\n').filter((l) => l === SCHEMA_SEPARATOR).length;
        assert.equal(separators, msgSections(ours).length, `${schema.name}: one separator per MSG section`);
        assert.deepEqual(msgSections(ours), msgSections(recorded), `${schema.name}: dependencies`);
        assert.equal(
          ours.split(SCHEMA_SEPARATOR)[0]!.trim(),
          recorded.split(SCHEMA_SEPARATOR)[0]!.trim(),
          `${schema.name}: own .msg`,
        );
      }
    } finally {
      await handle.close();
    }
    // The dependency set of Odometry as rosbag2 (Jazzy) writes it, builtin_interfaces/Time included.
    assert.deepEqual(msgSections(registry.mergedSchema('nav_msgs/msg/Odometry')), [
      'builtin_interfaces/Time',
      'geometry_msgs/Point',
      'geometry_msgs/Pose',
      'geometry_msgs/PoseWithCovariance',
      'geometry_msgs/Quaternion',
      'geometry_msgs/Twist',
      'geometry_msgs/TwistWithCovariance',
      'geometry_msgs/Vector3',
      'std_msgs/Header',
    ]);
  });

  it("reads the package's own messages from msg/ with their dependencies", () => {
    const plan = registry.mergedSchema('sparse_video_nav/msg/Plan');
    assert.match(plan, /^# One SparseVideoNav plan/);
    assert.deepEqual(msgSections(plan), [
      'builtin_interfaces/Time',
      'geometry_msgs/Point',
      'geometry_msgs/Pose',
      'geometry_msgs/Quaternion',
      'std_msgs/Header',
    ]);
    assert.ok(registry.has('sparse_video_nav/msg/PlannerHeartbeat'));
    assert.ok(registry.has('sparse_video_nav/msg/PlannerStatus'));
  });

  it('generates foxglove_msgs in the ROS 2 flavour, with builtin_interfaces/Time as a dependency', () => {
    const poses = registry.mergedSchema('foxglove_msgs/msg/PosesInFrame');
    assert.match(poses, /^builtin_interfaces\/Time timestamp$/m);
    assert.deepEqual(msgSections(poses), [
      'builtin_interfaces/Time',
      'geometry_msgs/Point',
      'geometry_msgs/Pose',
      'geometry_msgs/Quaternion',
    ]);
    assert.ok(
      msgSections(registry.mergedSchema('foxglove_msgs/msg/SceneUpdate')).includes(
        'foxglove_msgs/LinePrimitive',
      ),
    );
  });

  it('splits merged text back into the same definitions', () => {
    const merged = registry.mergedSchema('nav_msgs/msg/Odometry');
    const again = new MessageDefinitionRegistry();
    again.addMergedSchema('nav_msgs/msg/Odometry', merged);
    assert.equal(again.mergedSchema('nav_msgs/msg/Odometry'), merged);
    assert.throws(
      () => splitMergedSchema('a/B', `int32 x\n${SCHEMA_SEPARATOR}\nnot a header\n`),
      /not followed by 'MSG: pkg\/Type'/,
    );
  });

  it('names the missing type and who needs it', () => {
    const { dir, cleanup } = tempDir('schemas');
    try {
      writeFileSync(path.join(dir, 'Probe.msg'), 'int32 a\nnowhere_msgs/Missing b\n');
      const reg = new MessageDefinitionRegistry([packageMsgSource('probe_msgs', dir)]);
      assert.throws(
        () => reg.mergedSchema('probe_msgs/msg/Probe'),
        (err: unknown) =>
          err instanceof BagError &&
          /nowhere_msgs\/Missing \(needed by probe_msgs\/Probe\)/.test(err.message),
      );
      assert.throws(
        () => new CdrCodec(registry).encode('foo_msgs/msg/Bar', {}),
        /no message definition for foo_msgs\/Bar/,
      );
    } finally {
      cleanup();
    }
  });
});
