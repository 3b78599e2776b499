/**
 * Topics and message types of the visualisation. The viz topics live under `/svnav/viz/` so that a
 * recording filter or a Foxglove layout can take or leave them as a group; the FrameTransforms topic is not
 * `/tf` because that name belongs to tf2_msgs/TFMessage (the robot's own TF tree, e.g. odom→base_link).
 */
export const VIZ_TOPICS = {
  /** foxglove_msgs/PosesInFrame: the planned trajectory's waypoints. */
  pathPoses: '/svnav/viz/path_poses',
  /** foxglove_msgs/SceneUpdate: the planned path as a line coloured by time, with heading arrows. */
  pathScene: '/svnav/viz/path_scene',
  /** foxglove_msgs/ImageAnnotations: the planned path drawn into the camera image. */
  pathAnnotations: '/svnav/viz/path_annotations',
  /**
   * foxglove_msgs/FrameTransforms: base_link→camera (from the mount), and odom→base_link from odometry when
   * nothing on /tf carries it. The imagined future is not a viz topic: the planner publishes it itself.
   */
  transforms: '/svnav/viz/transforms',
} as const;

export type VizTopic = (typeof VIZ_TOPICS)[keyof typeof VIZ_TOPICS];

/** foxglove_msgs type names, spelled as rosbag2 and the Foxglove WebSocket `ros2msg` channels spell them. */
export const FoxgloveTypes = {
  PosesInFrame: 'foxglove_msgs/msg/PosesInFrame',
  SceneUpdate: 'foxglove_msgs/msg/SceneUpdate',
  ImageAnnotations: 'foxglove_msgs/msg/ImageAnnotations',
  FrameTransforms: 'foxglove_msgs/msg/FrameTransforms',
} as const;

/** The type published on each viz topic. */
export const VIZ_TOPIC_TYPES: Readonly<Record<VizTopic, string>> = {
  [VIZ_TOPICS.pathPoses]: FoxgloveTypes.PosesInFrame,
  [VIZ_TOPICS.pathScene]: FoxgloveTypes.SceneUpdate,
  [VIZ_TOPICS.pathAnnotations]: FoxgloveTypes.ImageAnnotations,
  [VIZ_TOPICS.transforms]: FoxgloveTypes.FrameTransforms,
};
