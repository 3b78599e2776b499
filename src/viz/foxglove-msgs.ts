/**
 * Plain-object shapes of the foxglove_msgs types the visualisation writes, in their ROS 2 form (the ros2msg
 * schema text of `@foxglove/schemas/internal` with `rosVersion: 2`): stamps are builtin_interfaces/Time
 * `{sec, nanosec}`, poses are geometry_msgs. These objects CDR-encode as they are with the bag helper's codec.
 */
import type { Point, Pose, Quaternion, Time, Vector3 } from '../messages/ros';

/** builtin_interfaces/msg/Duration */
export interface Duration {
  sec: number;
  nanosec: number;
}

export interface Color {
  r: number;
  g: number;
  b: number;
  a: number;
}

export interface KeyValuePair {
  key: string;
  value: string;
}

export interface Point2 {
  x: number;
  y: number;
}

/** foxglove_msgs/msg/PosesInFrame */
export interface PosesInFrame {
  timestamp: Time;
  frame_id: string;
  poses: Pose[];
}

/** foxglove_msgs/msg/FrameTransform */
export interface FrameTransform {
  timestamp: Time;
  parent_frame_id: string;
  child_frame_id: string;
  translation: Vector3;
  rotation: Quaternion;
}

/** foxglove_msgs/msg/FrameTransforms */
export interface FrameTransforms {
  transforms: FrameTransform[];
}

export const LineType = { LINE_STRIP: 0, LINE_LOOP: 1, LINE_LIST: 2 } as const;

/** foxglove_msgs/msg/LinePrimitive */
export interface LinePrimitive {
  type: number;
  pose: Pose;
  thickness: number;
  scale_invariant: boolean;
  points: Point[];
  color: Color;
  colors: Color[];
  indices: number[];
}

/** foxglove_msgs/msg/ArrowPrimitive */
export interface ArrowPrimitive {
  pose: Pose;
  shaft_length: number;
  shaft_diameter: number;
  head_length: number;
  head_diameter: number;
  color: Color;
}

/** foxglove_msgs/msg/SceneEntity, limited to the primitives the visualisation draws (the rest stay empty). */
export interface SceneEntity {
  timestamp: Time;
  frame_id: string;
  id: string;
  lifetime: Duration;
  frame_locked: boolean;
  metadata: KeyValuePair[];
  arrows: ArrowPrimitive[];
  cubes: never[];
  spheres: never[];
  cylinders: never[];
  lines: LinePrimitive[];
  triangles: never[];
  texts: never[];
  models: never[];
}

/** foxglove_msgs/msg/SceneEntityDeletion */
export interface SceneEntityDeletion {
  timestamp: Time;
  type: number;
  id: string;
}

/** foxglove_msgs/msg/SceneUpdate */
export interface SceneUpdate {
  deletions: SceneEntityDeletion[];
  entities: SceneEntity[];
}

export const PointsAnnotationType = {
  UNKNOWN: 0,
  POINTS: 1,
  LINE_LOOP: 2,
  LINE_STRIP: 3,
  LINE_LIST: 4,
} as const;

/** foxglove_msgs/msg/CircleAnnotation */
export interface CircleAnnotation {
  timestamp: Time;
  position: Point2;
  diameter: number;
  thickness: number;
  fill_color: Color;
  outline_color: Color;
  metadata: KeyValuePair[];
}

/** foxglove_msgs/msg/PointsAnnotation */
export interface PointsAnnotation {
  timestamp: Time;
  type: number;
  points: Point2[];
  outline_color: Color;
  outline_colors: Color[];
  fill_color: Color;
  thickness: number;
  metadata: KeyValuePair[];
}

/** foxglove_msgs/msg/TextAnnotation */
export interface TextAnnotation {
  timestamp: Time;
  position: Point2;
  text: string;
  font_size: number;
  text_color: Color;
  background_color: Color;
  metadata: KeyValuePair[];
}

/** foxglove_msgs/msg/ImageAnnotations */
export interface ImageAnnotations {
  timestamp: Time;
  circles: CircleAnnotation[];
  points: PointsAnnotation[];
  texts: TextAnnotation[];
  metadata: KeyValuePair[];
}
