/**
 * Plain-object shapes of the ROS 2 messages the package reads and writes. Field names are those of the .msg
 * definitions, which is what rclnodejs hands out and what CDR decoding of a rosbag2 MCAP yields, so the same
 * objects travel over every transport.
 */

/** builtin_interfaces/msg/Time */
export interface Time {
  sec: number;
  nanosec: number;
}

/** std_msgs/msg/Header */
export interface Header {
  stamp: Time;
  frame_id: string;
}

export interface Vector3 {
  x: number;
  y: number;
  z: number;
}
export interface Point {
  x: number;
  y: number;
  z: number;
}
export interface Quaternion {
  x: number;
  y: number;
  z: number;
  w: number;
}
export interface Pose {
  position: Point;
  orientation: Quaternion;
}
export interface PoseStamped {
  header: Header;
  pose: Pose;
}

/** geometry_msgs/msg/Twist */
export interface Twist {
  linear: Vector3;
  angular: Vector3;
}

/** sensor_msgs/msg/Image */
export interface Image {
  header: Header;
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number;
  step: number;
  data: Uint8Array;
}

/** sensor_msgs/msg/CompressedImage */
export interface CompressedImage {
  header: Header;
  format: string;
  data: Uint8Array;
}

/** nav_msgs/msg/Odometry (covariances kept as plain arrays of 36) */
export interface Odometry {
  header: Header;
  child_frame_id: string;
  pose: { pose: Pose; covariance: ArrayLike<number> };
  twist: { twist: Twist; covariance: ArrayLike<number> };
}

/** nav_msgs/msg/Path */
export interface Path {
  header: Header;
  poses: PoseStamped[];
}

/** std_msgs/msg/String, std_msgs/msg/Bool */
export interface StringMsg {
  data: string;
}
export interface BoolMsg {
  data: boolean;
}

/** sparse_video_nav/msg/Plan */
export interface PlanMsg {
  header: Header;
  sequence: number;
  episode_id: string;
  instruction: string;
  step_dt_s: number;
  dx_m: number[] | Float32Array;
  dy_m: number[] | Float32Array;
  dtheta_rad: number[] | Float32Array;
  has_input_pose: boolean;
  input_pose: Pose;
  latency_s: number;
  untrained_model: boolean;
  action_source: string;
  action_confidence: number;
}

export type EpisodeState = 'idle' | 'navigating' | 'arrived' | 'cancelled' | 'stuck' | 'failed';

/** sparse_video_nav/msg/PlannerHeartbeat */
export interface PlannerHeartbeatMsg {
  stamp: Time;
  sequence: number;
  episode_state: EpisodeState;
  episode_id: string;
  camera_age_s: number;
  planning: boolean;
}

/** sparse_video_nav/msg/PlannerStatus */
export interface PlannerStatusMsg {
  header: Header;
  plan_sequence: number;
  episode_id: string;
  episode_state: EpisodeState;
  instruction: string;
  message: string;
  encode_ms: number;
  history_ms: number;
  text_ms: number;
  dit_ms: number;
  action_ms: number;
  total_ms: number;
  history_chunks: number;
  execution_provider: string;
  untrained_model: boolean;
  action_source: string;
  action_confidence: number;
}

/** unitree_api/msg/Request (the Go2 sport API request used for StopMove 1003 / Move 1008). */
export interface UnitreeRequest {
  header: {
    /** int64 fields: rclnodejs requires bigint. */
    identity: { id: bigint; api_id: bigint };
    lease: { id: bigint };
    policy: { priority: number; noreply: boolean };
  };
  parameter: string;
  binary: number[];
}

/** ROS type names, spelled as rosbag2 and rclnodejs spell them. */
export const RosTypes = {
  Twist: 'geometry_msgs/msg/Twist',
  Image: 'sensor_msgs/msg/Image',
  CompressedImage: 'sensor_msgs/msg/CompressedImage',
  CameraInfo: 'sensor_msgs/msg/CameraInfo',
  Odometry: 'nav_msgs/msg/Odometry',
  Path: 'nav_msgs/msg/Path',
  String: 'std_msgs/msg/String',
  Bool: 'std_msgs/msg/Bool',
  TFMessage: 'tf2_msgs/msg/TFMessage',
  Plan: 'sparse_video_nav/msg/Plan',
  PlannerHeartbeat: 'sparse_video_nav/msg/PlannerHeartbeat',
  PlannerStatus: 'sparse_video_nav/msg/PlannerStatus',
  UnitreeRequest: 'unitree_api/msg/Request',
} as const;
