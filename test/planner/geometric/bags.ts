/**
 * The recorded fixture bags as the estimator sees them: camera frames at 4 FPS (the nearest frame to each
 * 0.25 s tick), decoded with the project's decoder to 256×256 (the centre square), the bag's CameraInfo, and
 * the odometry pose and twist at each chosen frame's stamp.
 */
import * as path from 'node:path';
import { openBag } from '../../../src/bag/reader';
import { decodeCameraMessage } from '../../../src/camera/decode';
import { between, compose, groundPoseFromRos, type Pose2D } from '../../../src/geometry/se2';
import type { CompressedImage, Image, Odometry } from '../../../src/messages/ros';
import { stampToNs } from '../../../src/messages/time';
import type { CameraInfoLike } from '../../../src/camera/intrinsics';
import type { ImageFrame, MotionStep } from '../../../src/planner/actions/geometric/estimate';

const DIR = path.resolve(__dirname, '../../fixtures/rosbag2-jazzy');

export interface BagSpec {
  readonly file: string;
  readonly topic: string;
  readonly type: 'sensor_msgs/msg/Image' | 'sensor_msgs/msg/CompressedImage';
}

export const FIXTURE_BAGS: Record<'raw' | 'compressed', BagSpec> = {
  raw: {
    file: path.join(DIR, 'go2_raw/go2_raw_0.mcap'),
    topic: '/camera/image_raw',
    type: 'sensor_msgs/msg/Image',
  },
  compressed: {
    file: path.join(DIR, 'go2_compressed_zstd/go2_compressed_zstd_0.mcap'),
    topic: '/camera/image_raw/compressed',
    type: 'sensor_msgs/msg/CompressedImage',
  },
};

export interface BagWindow {
  frames: ImageFrame[];
  cameraInfo: CameraInfoLike;
  /** Odometry's motion between consecutive chosen frames, in base_link of the earlier one. */
  truth: MotionStep[];
  /** Odometry's body velocity at the first frame. */
  velocity: { vx_mps: number; vy_mps: number };
}

/** Nine frames at 4 FPS from `start_s` into the bag. */
export async function bagWindow(spec: BagSpec, start_s: number): Promise<BagWindow> {
  const reader = await openBag(spec.file);
  const images: { t: number; msg: Image | CompressedImage }[] = [];
  const odom: { t: number; msg: Odometry }[] = [];
  let cameraInfo: CameraInfoLike | undefined;
  let t0: number | undefined;
  try {
    for await (const m of reader.messages({ topics: [spec.topic, '/camera/camera_info', '/odom'] })) {
      if (m.topic === '/camera/camera_info') cameraInfo ??= m.message as CameraInfoLike;
      else if (m.topic === '/odom')
        odom.push({ t: stampSeconds(m.message as Odometry), msg: m.message as Odometry });
      else {
        const msg = m.message as Image | CompressedImage;
        t0 ??= stampSeconds(msg);
        images.push({ t: stampSeconds(msg), msg });
      }
    }
  } finally {
    await reader.close();
  }
  if (!cameraInfo || t0 === undefined) throw new Error(`${spec.file} has no camera_info or no images`);
  const chosen = Array.from({ length: 9 }, (_, i) => nearest(images, t0! + start_s + 0.25 * i));
  const frames = await Promise.all(
    chosen.map(async ({ msg }) => {
      const f = await decodeCameraMessage(spec.type, msg, {
        topic: spec.topic,
        resolution: { width: 256, height: 256 },
      });
      return { rgb: f.rgb, width: f.width, height: f.height };
    }),
  );
  const poses = chosen.map(({ t }) => poseAt(odom, t));
  const truth = poses.slice(1).map((p, i) => {
    const d = between(poses[i]!, p);
    return [d.x_m, d.y_m, d.theta_rad] as const;
  });
  const twist = nearest(odom, chosen[0]!.t).msg.twist.twist.linear;
  return { frames, cameraInfo, truth, velocity: { vx_mps: twist.x, vy_mps: twist.y } };
}

function stampSeconds(msg: { header: { stamp: { sec: number; nanosec: number } } }): number {
  return Number(stampToNs(msg.header.stamp)) / 1e9;
}

function nearest<T extends { t: number }>(items: readonly T[], t: number): T {
  let best = items[0]!;
  for (const item of items) if (Math.abs(item.t - t) < Math.abs(best.t - t)) best = item;
  return best;
}

/** Odometry pose at `t`, interpolated between the two messages around it (50 Hz odometry is 1 cm apart at 0.5 m/s). */
function poseAt(odom: readonly { t: number; msg: Odometry }[], t: number): Pose2D {
  const i = Math.max(
    1,
    Math.min(
      odom.length - 1,
      odom.findIndex((o) => o.t >= t),
    ),
  );
  const a = odom[i - 1]!;
  const b = odom[i]!;
  const pa = pose(a.msg);
  const d = between(pa, pose(b.msg));
  const f = b.t > a.t ? (t - a.t) / (b.t - a.t) : 0;
  return compose(pa, { x_m: d.x_m * f, y_m: d.y_m * f, theta_rad: d.theta_rad * f });
}

function pose(msg: Odometry): Pose2D {
  const p = groundPoseFromRos(msg.pose.pose);
  if ('error' in p) throw new Error(`fixture odometry: ${p.error}`);
  return p;
}
