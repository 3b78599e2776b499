import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { allInterfaces, parseMsg } from '../../scripts/ros-types/definitions';
import { fieldToTs, generateInterfaces } from '../../scripts/ros-types/generate';

describe('rclnodejs interfaces.d.ts generator (typecheck:ros)', () => {
  it('writes a message, its constructor with constants, and the type maps rclnodejs types expect', () => {
    const text = generateInterfaces([
      {
        fullName: 'demo_msgs/msg/Sample',
        definition: parseMsg(
          'uint8 MODE_A=1\nstd_msgs/Header header\nfloat32[] values\nint64 count\nstring label',
          'demo_msgs/msg/Sample',
        ),
      },
    ]);
    assert.match(text, /^declare module 'rclnodejs' \{$/m);
    assert.match(
      text,
      /namespace demo_msgs \{\n {4}namespace msg \{\n {6}export interface Sample \{\n {8}header: std_msgs\.msg\.Header;\n {8}values: number\[\] \| Float32Array;\n {8}count: bigint;\n {8}label: string;\n {6}\}\n {6}export interface SampleConstructor \{\n {8}readonly MODE_A: number;\n {8}new \(other\?: Sample\): Sample;\n {6}\}/,
    );
    assert.match(
      text,
      /type MessagesMap = \{\n {4}'string': string;\n {4}'demo_msgs\/msg\/Sample': demo_msgs\.msg\.Sample;\n {2}\};/,
    );
    assert.match(text, /'demo_msgs\/msg\/Sample': demo_msgs\.msg\.SampleConstructor;/);
    for (const name of [
      'MessageTypeClassName',
      'MessageType<T>',
      'ServiceType<T>',
      'ActionType<T>',
      'TypeClassName',
      'InterfaceType<T>',
    ]) {
      assert.ok(text.includes(`type ${name}`), name);
    }
  });

  it('maps ROS 2 field types as rostsd_gen does', () => {
    const f = (type: string, isArray = false, isComplex = false) =>
      fieldToTs({ name: 'x', type, isArray, isComplex });
    assert.equal(f('uint8', true), 'number[] | Uint8Array');
    assert.equal(f('float64', true), 'number[] | Float64Array');
    assert.equal(f('uint64'), 'bigint');
    assert.equal(f('int64', true), 'bigint[]');
    assert.equal(f('bool'), 'boolean');
    assert.equal(f('time'), 'builtin_interfaces.msg.Time');
    assert.equal(f('geometry_msgs/Pose', true, true), 'geometry_msgs.msg.Pose[]');
    assert.throws(() => f('float128'), /field x: unknown primitive type "float128"/);
  });

  it('writes services with their Request/Response halves and refuses an incomplete one', () => {
    const half = (n: string) => ({ fullName: `demo_msgs/srv/${n}`, definition: parseMsg('bool ok', n) });
    const text = generateInterfaces(
      [half('Reset_Request'), half('Reset_Response')],
      [{ fullName: 'demo_msgs/srv/Reset' }],
    );
    assert.match(
      text,
      /export interface ResetConstructor extends ROSService \{\n {8}readonly Request: Reset_RequestConstructor;/,
    );
    assert.match(text, /'demo_msgs\/srv\/Reset': demo_msgs\.srv\.ResetConstructor;/);
    assert.throws(
      () => generateInterfaces([half('Reset_Request')], [{ fullName: 'demo_msgs/srv/Reset' }]),
      /has no Reset_Response/,
    );
  });

  it('covers the messages the package uses, our msg/ and the Unitree request, each once', () => {
    const { messages, services } = allInterfaces(join(__dirname, '..', '..', 'msg'));
    const names = new Set(messages.map((m) => m.fullName));
    assert.equal(names.size, messages.length);
    for (const n of [
      'sensor_msgs/msg/Image',
      'sensor_msgs/msg/CompressedImage',
      'geometry_msgs/msg/Twist',
      'nav_msgs/msg/Odometry',
      'std_msgs/msg/String',
      'rcl_interfaces/msg/SetParametersResult',
      'lifecycle_msgs/msg/Transition',
      'unique_identifier_msgs/msg/UUID',
      'sparse_video_nav/msg/Plan',
      'sparse_video_nav/msg/PlannerHeartbeat',
      'unitree_api/msg/Request',
      'action_msgs/srv/CancelGoal_Response',
    ]) {
      assert.ok(names.has(n), n);
    }
    assert.deepEqual(services, [{ fullName: 'action_msgs/srv/CancelGoal' }]);
    const text = generateInterfaces(messages, services);
    assert.match(text, /export interface RequestIdentity \{\n {8}id: bigint;\n {8}api_id: bigint;/);
  });
});
