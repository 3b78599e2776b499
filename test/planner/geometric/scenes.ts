/**
 * Frames with known motion: the demo world's ray caster (src/bag/demo) rendered along body trajectories of
 * constant or changing twist, through the demo camera (640×360, 90° HFOV, lens 0.32 m up and 0.28 m ahead of
 * base_link, level), then the release's centre square crop and resize to 256×256.
 */
import sharp from 'sharp';
import { RayCastRenderer, type PinholeCamera } from '../../../src/bag/demo/render';
import { buildWorld, type GridWorld } from '../../../src/bag/demo/world';
import type { PlanarState } from '../../../src/bag/demo/motion';
import { compose, integrateTwist, type BodyTwist, type Pose2D } from '../../../src/geometry/se2';
import { cameraModel, type CameraModel } from '../../../src/planner/actions/geometric/camera-model';
import { type CameraMount } from '../../../src/camera/mount';
import type { ImageFrame, MotionStep } from '../../../src/planner/actions/geometric/estimate';

export const SOURCE = { width: 640, height: 360, hfov_deg: 90 } as const;
export const MOUNT: CameraMount = {
  frameId: 'front_camera',
  height_m: 0.32,
  pitch_rad: 0,
  forward_m: 0.28,
  lateral_m: 0,
};
export const SIZE = 256;
const FOCAL = SOURCE.width / 2 / Math.tan((SOURCE.hfov_deg * Math.PI) / 360);

/** CameraInfo as a ROS driver publishes it: principal point at the image centre, pixel centres at integers. */
export const CAMERA_INFO = {
  width: SOURCE.width,
  height: SOURCE.height,
  k: [FOCAL, 0, SOURCE.width / 2 - 0.5, 0, FOCAL, SOURCE.height / 2 - 0.5, 0, 0, 1],
};

export function demoCamera(mount: CameraMount = MOUNT): CameraModel {
  return cameraModel({
    cameraInfo: CAMERA_INFO,
    hfov_deg: SOURCE.hfov_deg,
    sourceWidth_px: SOURCE.width,
    sourceHeight_px: SOURCE.height,
    mount,
    size_px: SIZE,
  });
}

let world: GridWorld | undefined;

/** A wide straight corridor along +x from the origin, so that every test trajectory sees floor and walls. */
function demoWorld(): GridWorld {
  const path: PlanarState[] = [];
  for (let x = -3; x <= 12; x += 0.05)
    path.push({ t_s: x, x_m: x, y_m: 0, yaw_rad: 0, v_mps: 0, w_radps: 0 });
  world ??= buildWorld(path, { corridorHalfWidth_m: 2.6, roomHalfSize_m: 2.6 });
  return world;
}

export interface Scene {
  frames: ImageFrame[];
  /** The true motion between consecutive frames, in base_link of the earlier one. */
  truth: MotionStep[];
}

/** Renders 9 frames at 4 FPS from `start`, driving the body twists given per step (one or eight). */
export async function renderScene(
  twists: readonly BodyTwist[],
  start: Pose2D = { x_m: 0, y_m: 0, theta_rad: 0 },
  mount: CameraMount = MOUNT,
): Promise<Scene> {
  const camera: PinholeCamera = {
    width: SOURCE.width,
    height: SOURCE.height,
    fx: FOCAL,
    fy: FOCAL,
    cx: SOURCE.width / 2,
    cy: SOURCE.height / 2,
  };
  const renderer = new RayCastRenderer(demoWorld(), camera, 7);
  const poses: Pose2D[] = [start];
  const truth: MotionStep[] = [];
  for (let i = 0; i < 8; i++) {
    const step = integrateTwist(twists[Math.min(i, twists.length - 1)]!, 0.25);
    truth.push([step.x_m, step.y_m, step.theta_rad]);
    poses.push(compose(poses[i]!, step));
  }
  const frames = await Promise.all(
    poses.map((p) => {
      const lens = compose(p, { x_m: mount.forward_m, y_m: mount.lateral_m, theta_rad: 0 });
      const rgb = renderer.render({
        x_m: lens.x_m,
        y_m: lens.y_m,
        yaw_rad: lens.theta_rad,
        height_m: mount.height_m,
      });
      return centreCrop(rgb, SOURCE.width, SOURCE.height);
    }),
  );
  return { frames, truth };
}

/** The release's preprocessing: centre square crop of side min(h, w), bilinear resize to 256×256. */
export async function centreCrop(rgb: Uint8Array, width: number, height: number): Promise<ImageFrame> {
  const side = Math.min(width, height);
  const { data } = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .extract({
      left: Math.floor((width - side) / 2),
      top: Math.floor((height - side) / 2),
      width: side,
      height: side,
    })
    .resize(SIZE, SIZE, { kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: SIZE, height: SIZE };
}
