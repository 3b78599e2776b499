/** One complete sample of every message type the package writes, for round-trip tests. */
import { RosTypes } from '../../src/messages/ros';

const stamp = { sec: 1_700_000_123, nanosec: 456_000_000 };
const header = { stamp, frame_id: 'base_link' };
const pose = {
  position: { x: 1.5, y: -2.25, z: 0 },
  orientation: { x: 0, y: 0, z: 0.38268343236508984, w: 0.9238795325112867 },
};
const twist = { linear: { x: 0.4, y: -0.1, z: 0 }, angular: { x: 0, y: 0, z: 0.15 } };
const color = { r: 1, g: 0.5, b: 0.25, a: 1 };
const covariance = Float64Array.from({ length: 36 }, (_v, i) => (i % 7 === 0 ? 0.01 * (i + 1) : 0));

export const SAMPLE_MESSAGES: readonly { topic: string; type: string; message: unknown }[] = [
  { topic: '/cmd_vel', type: RosTypes.Twist, message: twist },
  {
    topic: '/plan/path',
    type: RosTypes.Path,
    message: {
      header: { stamp, frame_id: 'odom' },
      poses: [0, 1, 2].map((i) => ({
        header: { stamp, frame_id: 'odom' },
        pose: { ...pose, position: { x: i, y: i / 2, z: 0 } },
      })),
    },
  },
  {
    topic: '/odom',
    type: RosTypes.Odometry,
    message: {
      header: { stamp, frame_id: 'odom' },
      child_frame_id: 'base_link',
      pose: { pose, covariance },
      twist: { twist, covariance },
    },
  },
  {
    topic: '/camera/image_raw',
    type: RosTypes.Image,
    message: {
      header,
      height: 2,
      width: 3,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: 9,
      data: Uint8Array.from({ length: 18 }, (_v, i) => i * 13),
    },
  },
  {
    topic: '/camera/image_raw/compressed',
    type: RosTypes.CompressedImage,
    message: { header, format: 'jpeg', data: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9) },
  },
  {
    topic: '/instruction',
    type: RosTypes.String,
    message: { data: 'walk forward to the wooden door and stop next to it' },
  },
  { topic: '/estop', type: RosTypes.Bool, message: { data: true } },
  {
    topic: '/svnav/plan',
    type: RosTypes.Plan,
    message: {
      header,
      sequence: 42,
      episode_id: 'ep-7',
      instruction: 'go to the chair',
      step_dt_s: 0.25,
      dx_m: Float32Array.of(0.125, 0.125, 0.25, 0.25, 0.25, 0.25, 0.125, 0),
      dy_m: Float32Array.of(0, 0, 0.0625, 0, 0, 0, 0, 0),
      dtheta_rad: Float32Array.of(0, 0.5, 0.5, 0, 0, -0.25, 0, 0),
      has_input_pose: true,
      input_pose: pose,
      latency_s: 0.75,
      untrained_model: false,
      action_source: 'geometric',
      action_confidence: 0.75,
    },
  },
  {
    topic: '/svnav/heartbeat',
    type: RosTypes.PlannerHeartbeat,
    message: {
      stamp,
      sequence: 9,
      episode_state: 'navigating',
      episode_id: 'ep-7',
      camera_age_s: 0.125,
      planning: true,
    },
  },
  {
    topic: '/svnav/status',
    type: RosTypes.PlannerStatus,
    message: {
      header,
      plan_sequence: 42,
      episode_id: 'ep-7',
      episode_state: 'navigating',
      instruction: 'go to the chair',
      message: 'ok',
      encode_ms: 12.5,
      history_ms: 3.25,
      text_ms: 0,
      dit_ms: 250.5,
      action_ms: 8,
      total_ms: 274.25,
      history_chunks: 5,
      execution_provider: 'cpu',
      untrained_model: true,
      action_source: 'learned',
      action_confidence: -1,
    },
  },
  {
    topic: '/svnav/preview',
    type: 'foxglove_msgs/msg/CompressedImage',
    message: {
      timestamp: stamp,
      frame_id: 'front_camera',
      data: Uint8Array.of(0xff, 0xd8, 0xff, 0xd9),
      format: 'jpeg',
    },
  },
  {
    topic: '/svnav/poses',
    type: 'foxglove_msgs/msg/PosesInFrame',
    message: { timestamp: stamp, frame_id: 'odom', poses: [pose, pose] },
  },
  {
    topic: '/svnav/scene',
    type: 'foxglove_msgs/msg/SceneUpdate',
    message: {
      deletions: [{ timestamp: stamp, type: 1, id: '' }],
      entities: [
        {
          timestamp: stamp,
          frame_id: 'odom',
          id: 'plan',
          lifetime: { sec: 2, nanosec: 0 },
          frame_locked: false,
          metadata: [{ key: 'episode', value: 'ep-7' }],
          arrows: [],
          cubes: [],
          spheres: [],
          cylinders: [],
          lines: [
            {
              type: 0,
              pose,
              thickness: 0.05,
              scale_invariant: false,
              points: [
                { x: 0, y: 0, z: 0 },
                { x: 1, y: 0.5, z: 0 },
              ],
              color,
              colors: [],
              indices: Uint32Array.of(),
            },
          ],
          triangles: [],
          texts: [],
          models: [],
        },
      ],
    },
  },
  {
    topic: '/svnav/tf',
    type: 'foxglove_msgs/msg/FrameTransforms',
    message: {
      transforms: [
        {
          timestamp: stamp,
          parent_frame_id: 'odom',
          child_frame_id: 'base_link',
          translation: { x: 1, y: 2, z: 0 },
          rotation: pose.orientation,
        },
      ],
    },
  },
  {
    topic: '/svnav/annotations',
    type: 'foxglove_msgs/msg/ImageAnnotations',
    message: {
      timestamp: stamp,
      circles: [
        {
          timestamp: stamp,
          position: { x: 10, y: 20 },
          diameter: 5,
          thickness: 1,
          fill_color: color,
          outline_color: color,
          metadata: [],
        },
      ],
      points: [
        {
          timestamp: stamp,
          type: 3,
          points: [
            { x: 0, y: 0 },
            { x: 640, y: 360 },
          ],
          outline_color: color,
          outline_colors: [],
          fill_color: color,
          thickness: 2,
          metadata: [],
        },
      ],
      texts: [
        {
          timestamp: stamp,
          position: { x: 5, y: 5 },
          text: '+1 s',
          font_size: 12,
          text_color: color,
          background_color: color,
          metadata: [],
        },
      ],
      metadata: [],
    },
  },
];
