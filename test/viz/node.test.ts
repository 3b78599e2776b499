import { strict as assert } from 'node:assert';
import { defaultConfig } from '../../src/config';
import { RosTypes } from '../../src/messages/ros';
import { NS_PER_S } from '../../src/messages/time';
import { VizNode } from '../../src/viz/node';
import { InMemoryTransport } from '../../src/transport/memory';
import type { FrameTransforms, ImageAnnotations } from '../../src/viz/foxglove-msgs';
import { VIZ_TOPICS } from '../../src/viz/topics';
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
});
