/**
 * Foxglove messages for a plan: the path as poses and as a 3D line, the transforms the 3D panel needs to
 * place it, the path drawn into the camera image, and images of the imagined future. Pure: plans, odometry
 * and camera geometry in, message objects out (CDR-encodable with the bag helper's codec).
 */
import type { Odometry } from '../messages/ros';
import { nsToStamp, type TimeNs } from '../messages/time';
import { compose, poseFromGround, type Pose2D } from '../geometry/se2';
import { pathDuration_s, samplePath, type Trajectory } from '../geometry/trajectory';
import { clipPolylinesToImage, mountRotation, mountTranslation, projectGroundPolyline } from './camera';
import type { PinholeIntrinsics } from '../camera/intrinsics';
import type { CameraMount } from '../camera/mount';
import type {
  ArrowPrimitive,
  Color,
  FrameTransform,
  FrameTransforms,
  ImageAnnotations,
  PosesInFrame,
  SceneUpdate,
} from './foxglove-msgs';
import { LineType, PointsAnnotationType } from './foxglove-msgs';

/**
 * The frame to draw a path in, and the path's poses in it: the odometry frame when the plan's input pose is
 * known (the path then stays where it was planned while the robot walks it), otherwise the base frame at
 * the plan stamp (Foxglove looks that frame up in its TF history at the message timestamp).
 */
function posesForDisplay(path: Trajectory, poses: readonly Pose2D[]): { frameId: string; poses: Pose2D[] } {
  const input = path.inputPose;
  if (!input) return { frameId: path.baseFrameId, poses: [...poses] };
  return { frameId: input.frameId, poses: poses.map((p) => compose(input.pose, p)) };
}

/** foxglove_msgs/PosesInFrame of the plan's waypoints (the pose at the stamp first). */
export function pathPosesInFrame(path: Trajectory): PosesInFrame {
  const { frameId, poses } = posesForDisplay(path, path.waypoints);
  return {
    timestamp: nsToStamp(path.stampNs),
    frame_id: frameId,
    poses: poses.map((p) => poseFromGround(p)),
  };
}

/** Colour of a point `fraction` of the way through the plan: green now, through yellow, to red at the end. */
export function timeColor(fraction: number, alpha = 1): Color {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return { r: Math.min(1, 2 * f), g: Math.min(1, 2 * (1 - f)), b: 0.15, a: alpha };
}

export interface SceneOptions {
  /** Entity id; a new plan replaces the previous plan's entity of the same id. Default 'plan_path'. */
  readonly entityId?: string;
  /** Arc samples per step of the line. Default 4. */
  readonly samplesPerStep?: number;
  /** Line width in metres. Default 0.04. */
  readonly thickness_m?: number;
  /** Heading arrows at each waypoint after the first. Default true. */
  readonly arrows?: boolean;
}

/** foxglove_msgs/SceneUpdate with the path as a line strip coloured by time, and heading arrows. */
export function pathSceneUpdate(path: Trajectory, options: SceneOptions = {}): SceneUpdate {
  const samples = samplePath(path, options.samplesPerStep ?? 4);
  const duration = pathDuration_s(path);
  const { frameId, poses } = posesForDisplay(
    path,
    samples.map((s) => s.pose),
  );
  const colors = samples.map((s) => timeColor(s.t_s / duration));
  const arrows: ArrowPrimitive[] =
    options.arrows === false
      ? []
      : posesForDisplay(path, path.waypoints.slice(1)).poses.map((p, k) => ({
          pose: poseFromGround(p),
          shaft_length: 0.12,
          shaft_diameter: 0.02,
          head_length: 0.06,
          head_diameter: 0.05,
          color: timeColor((k + 1) / path.twists.length, 0.9),
        }));
  const stamp = nsToStamp(path.stampNs);
  return {
    deletions: [],
    entities: [
      {
        timestamp: stamp,
        frame_id: frameId,
        id: options.entityId ?? 'plan_path',
        lifetime: { sec: 0, nanosec: 0 },
        frame_locked: false,
        metadata: [
          { key: 'plan_sequence', value: String(path.sequence) },
          { key: 'step_dt_s', value: String(path.step_dt_s) },
        ],
        arrows,
        cubes: [],
        spheres: [],
        cylinders: [],
        lines: [
          {
            type: LineType.LINE_STRIP,
            pose: poseFromGround({ x_m: 0, y_m: 0, theta_rad: 0 }),
            thickness: options.thickness_m ?? 0.04,
            scale_invariant: false,
            points: poses.map((p) => ({ x: p.x_m, y: p.y_m, z: 0 })),
            color: timeColor(0),
            colors,
            indices: [],
          },
        ],
        triangles: [],
        texts: [],
        models: [],
      },
    ],
  };
}

export interface TransformsInput {
  /** odom→base from the robot's odometry (frames from its header.frame_id and child_frame_id). */
  readonly odometry?: Odometry;
  /** base→camera from the mount, stamped `stampNs`. */
  readonly mount?: { readonly camera: CameraMount; readonly baseFrameId: string; readonly stampNs: TimeNs };
}

/** foxglove_msgs/FrameTransforms so the 3D panel can place the path and the camera in the fixed frame. */
export function frameTransforms(input: TransformsInput): FrameTransforms {
  const transforms: FrameTransform[] = [];
  const odom = input.odometry;
  if (odom) {
    const { position: p, orientation: q } = odom.pose.pose;
    transforms.push({
      timestamp: { sec: odom.header.stamp.sec, nanosec: odom.header.stamp.nanosec },
      parent_frame_id: odom.header.frame_id,
      child_frame_id: odom.child_frame_id,
      translation: { x: p.x, y: p.y, z: p.z },
      rotation: { x: q.x, y: q.y, z: q.z, w: q.w },
    });
  }
  if (input.mount) {
    const { camera, baseFrameId, stampNs } = input.mount;
    transforms.push({
      timestamp: nsToStamp(stampNs),
      parent_frame_id: baseFrameId,
      child_frame_id: camera.frameId,
      translation: mountTranslation(camera),
      rotation: mountRotation(camera.pitch_rad),
    });
  }
  return { transforms };
}

export interface AnnotationOptions {
  /** Arc samples per step of the drawn line. Default 8. */
  readonly samplesPerStep?: number;
  /** Stroke width in pixels. Default: 1/160 of the image width, at least 3. */
  readonly thickness_px?: number;
  /** Path parts closer than this to the lens plane are cut off (they would project far outside). Default 0.1 m. */
  readonly near_m?: number;
  /** A label with the plan sequence and length at the top-left corner. Default true. */
  readonly label?: boolean;
}

/** Length of the path on the ground. */
function pathLength_m(path: Trajectory): number {
  const w = path.waypoints;
  let sum = 0;
  for (let k = 1; k < w.length; k++) sum += Math.hypot(w[k]!.x_m - w[k - 1]!.x_m, w[k]!.y_m - w[k - 1]!.y_m);
  return sum;
}

/**
 * foxglove_msgs/ImageAnnotations drawing the plan into the image of the frame it was planned from: the path
 * is in the base frame at the plan stamp, exactly where that frame's camera was, so no odometry is needed.
 * The line is cut at the lens plane and at the image border, so what is drawn is what the camera sees of the
 * path (its start under the robot is below the image); the label says when none of it is in view.
 */
export function pathImageAnnotations(
  path: Trajectory,
  camera: { readonly mount: CameraMount; readonly intrinsics: PinholeIntrinsics },
  options: AnnotationOptions = {},
): ImageAnnotations {
  const { mount, intrinsics } = camera;
  const duration = pathDuration_s(path);
  const stamp = nsToStamp(path.stampNs);
  const near = options.near_m ?? 0.1;
  const project = (points: { x_m: number; y_m: number; t: number }[]) =>
    clipPolylinesToImage(projectGroundPolyline(points, mount, intrinsics, near), intrinsics);
  const samples = samplePath(path, options.samplesPerStep ?? 8);
  const lines = project(samples.map((s) => ({ x_m: s.pose.x_m, y_m: s.pose.y_m, t: s.t_s / duration })));
  const dots = path.waypoints
    .slice(1)
    .flatMap((w, k) => project([{ x_m: w.x_m, y_m: w.y_m, t: (k + 1) / path.twists.length }]).flat());
  const thickness = options.thickness_px ?? Math.max(3, Math.round(intrinsics.width_px / 160));
  const clear: Color = { r: 0, g: 0, b: 0, a: 0 };
  const inView = lines.some((l) => l.length >= 2);
  const label = `plan ${path.sequence}: ${pathLength_m(path).toFixed(2)} m in ${duration.toFixed(1)} s${inView ? '' : ' (not in view)'}`;
  const fontSize = Math.max(12, Math.round(intrinsics.height_px / 30));
  return {
    timestamp: stamp,
    circles: dots.map((d) => ({
      timestamp: stamp,
      position: { x: d.u, y: d.v },
      diameter: thickness * 3,
      thickness: Math.max(1, thickness / 2),
      fill_color: timeColor(d.t, 0.8),
      outline_color: { r: 0, g: 0, b: 0, a: 0.8 },
      metadata: [],
    })),
    points: lines
      .filter((line) => line.length >= 2)
      .map((line) => ({
        timestamp: stamp,
        type: PointsAnnotationType.LINE_STRIP,
        points: line.map((p) => ({ x: p.u, y: p.v })),
        outline_color: timeColor(0),
        outline_colors: line.map((p) => timeColor(p.t)),
        fill_color: clear,
        thickness,
        metadata: [],
      })),
    texts:
      options.label === false
        ? []
        : [
            {
              timestamp: stamp,
              position: { x: fontSize / 2, y: fontSize * 1.5 },
              text: label,
              font_size: fontSize,
              text_color: { r: 1, g: 1, b: 1, a: 1 },
              background_color: { r: 0, g: 0, b: 0, a: 0.5 },
              metadata: [],
            },
          ],
    metadata: [{ key: 'plan_sequence', value: String(path.sequence) }],
  };
}
