import { strict as assert } from 'node:assert';
import { runNode, type NodeCommandDeps } from '../../src/cli/commands/node';
import { defaultConfig, type SvnavConfig } from '../../src/config';
import { RosTypes } from '../../src/messages/ros';
import { NS_PER_S } from '../../src/messages/time';
import { VizNode } from '../../src/viz/node';
import { InMemoryTransport } from '../../src/transport/memory';
import { Qos } from '../../src/transport/transport';
import type { FrameTransforms, ImageAnnotations, PosesInFrame } from '../../src/viz/foxglove-msgs';
import { VIZ_TOPICS, VIZ_TOPIC_TYPES } from '../../src/viz/topics';
import { odometry, planMsg } from './fixtures';

const T = 1_700_000_000n * NS_PER_S;
const DEMO_INFO = {
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'front_camera' },
  height: 720,
  width: 1280,
  distortion_model: 'plumb_bob',
  d: [0, 0, 0, 0, 0],
  k: [640, 0, 640, 0, 640, 360, 0, 0, 1],
  r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  p: [640, 0, 640, 0, 0, 640, 360, 0, 0, 0, 1, 0],
  binning_x: 0,
  binning_y: 0,
  roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
};

describe('viz node', () => {
  function rig() {
    const config = {
      ...defaultConfig(),
      camera: {
        ...defaultConfig().camera,
        topic: '/camera/image_raw/compressed',
        type: RosTypes.CompressedImage,
      },
    };
    const transport = new InMemoryTransport();
    const viz = new VizNode(transport, config);
    viz.start();
    const frames = () =>
      transport
        .messagesOn<FrameTransforms>(VIZ_TOPICS.transforms)
        .map((m) => m.message.transforms.map((t) => `${t.parent_frame_id}>${t.child_frame_id}`));
    return { config, transport, viz, frames };
  }

  it('publishes odom→base_link from odometry only until /tf carries it, and the camera mount always', () => {
    const { config, transport, frames } = rig();
    transport.inject(
      config.controller.odom_topic,
      RosTypes.Odometry,
      odometry(T, { x_m: 1, y_m: 0, theta_rad: 0 }),
    );
    transport.inject('/tf', RosTypes.TFMessage, {
      transforms: [
        {
          header: { stamp: { sec: 1, nanosec: 0 }, frame_id: 'odom' },
          child_frame_id: 'base_link',
          transform: { translation: { x: 1, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
        },
      ],
    });
    transport.inject(
      config.controller.odom_topic,
      RosTypes.Odometry,
      odometry(T + 1n, { x_m: 1, y_m: 0, theta_rad: 0 }),
    );
    assert.deepEqual(frames(), [['odom>base_link', 'base_link>front_camera'], ['base_link>front_camera']]);
  });

  it('draws a moving plan into the demo camera from its CameraInfo, points inside the 1280×720 image', () => {
    const { config, transport } = rig();
    transport.inject('/camera/camera_info', RosTypes.CameraInfo, DEMO_INFO);
    transport.inject(
      config.planner.plan_topic,
      RosTypes.Plan,
      planMsg({ stampNs: T, dx_m: 0.25, dtheta_rad: 0.1 }),
    );
    const [annotations] = transport.messagesOn<ImageAnnotations>(VIZ_TOPICS.pathAnnotations);
    assert.ok(annotations, 'no annotations');
    const points = annotations.message.points.flatMap((p) => p.points);
    assert.ok(points.length >= 10, `${points.length} points`);
    assert.ok(points.every((p) => p.x >= 0 && p.x <= 1280 && p.y >= 0 && p.y <= 720));
  });

  it('latches its outputs: a viewer that subscribes after the plan gets path, scene and annotations at once', () => {
    const { config, transport } = rig();
    transport.inject('/camera/camera_info', RosTypes.CameraInfo, DEMO_INFO);
    transport.inject(
      config.planner.plan_topic,
      RosTypes.Plan,
      planMsg({ stampNs: T, sequence: 4, dx_m: 0.2 }),
    );
    const late: Record<string, unknown[]> = {};
    for (const [topic, type] of Object.entries(VIZ_TOPIC_TYPES)) {
      late[topic] = [];
      transport.subscribe(topic, type, Qos.latched).subscribe((m) => late[topic]!.push(m));
    }
    assert.equal(late[VIZ_TOPICS.pathPoses]!.length, 1);
    assert.equal((late[VIZ_TOPICS.pathPoses]![0] as PosesInFrame).poses.length, 9);
    assert.equal(late[VIZ_TOPICS.pathScene]!.length, 1);
    assert.equal(late[VIZ_TOPICS.pathAnnotations]!.length, 1);
  });

  it('started after the planner, draws the plan the planner latched without waiting for the next one', () => {
    const config = defaultConfig();
    const transport = new InMemoryTransport();
    transport
      .createPublisher(config.planner.plan_topic, RosTypes.Plan, Qos.latched)
      .publish(planMsg({ stampNs: T, sequence: 7, dx_m: 0.1 }));
    new VizNode(transport, config).start();
    const poses = transport.messagesOn<PosesInFrame>(VIZ_TOPICS.pathPoses);
    assert.equal(poses.length, 1);
    assert.equal(poses[0]!.message.poses.at(-1)!.position.x.toFixed(6), '0.800000');
  });

  it('draws nothing for a plan the controller would refuse, warns once, and draws the next valid one', () => {
    const { config, transport } = rig();
    const warnings: string[] = [];
    Object.assign(transport.log, { warn: (m: string) => warnings.push(m) });
    for (const sequence of [1, 2]) {
      transport.inject(
        config.planner.plan_topic,
        RosTypes.Plan,
        planMsg({ stampNs: T, sequence, dx_m: NaN }),
      );
    }
    assert.equal(transport.messagesOn(VIZ_TOPICS.pathPoses).length, 0);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`viz: ${config.planner.plan_topic}: `));
    transport.inject(
      config.planner.plan_topic,
      RosTypes.Plan,
      planMsg({ stampNs: T, sequence: 3, dx_m: 0.1 }),
    );
    assert.equal(transport.messagesOn(VIZ_TOPICS.pathPoses).length, 1);
  });

  it('publishes nothing after stop()', () => {
    const { config, transport, viz } = rig();
    viz.stop();
    transport.inject(config.planner.plan_topic, RosTypes.Plan, planMsg({ stampNs: T, dx_m: 0.1 }));
    transport.inject(
      config.controller.odom_topic,
      RosTypes.Odometry,
      odometry(T, { x_m: 0, y_m: 0, theta_rad: 0 }),
    );
    assert.equal(transport.published.filter((p) => p.topic.startsWith('/svnav/viz/')).length, 0);
  });

  it('runs as `svnav node viz` until SIGTERM, needing foxglove_msgs, and draws the plans it sees', async () => {
    let transport: (InMemoryTransport & { config: SvnavConfig }) | undefined;
    let fire: ((signal: string) => void) | undefined;
    const loads: string[][] = [];
    const deps: NodeCommandDeps = {
      loadTransport: async (options) => {
        loads.push([options.nodeName, ...options.requiredPackages!]);
        transport = Object.assign(new InMemoryTransport(), { config: options.baseConfig });
        return { transport };
      },
      onShutdownSignal: (handler) => {
        fire = handler;
        return () => (fire = undefined);
      },
      error: (m) => assert.fail(m),
    };
    const run = runNode('viz', {}, deps);
    for (let i = 0; i < 50 && !fire; i++) await new Promise((r) => setImmediate(r));
    assert.ok(transport && fire, 'the viz node did not start and wait for a signal');
    assert.equal(loads[0]![0], 'svnav_viz');
    assert.ok(loads[0]!.includes('foxglove_msgs'), loads[0]!.join(' '));
    const plan = transport.config.planner.plan_topic;
    transport.inject(plan, RosTypes.Plan, planMsg({ stampNs: T, dx_m: 0.1 }));
    assert.equal(transport.messagesOn(VIZ_TOPICS.pathScene).length, 1);
    fire('SIGTERM');
    assert.equal(await run, 0);
  });
});
