/**
 * Image points ↔ the ground plane (z = 0 in base_link, REP-103) through the camera's mount. The ground is what
 * gives a monocular camera its metric scale: a floor pixel's ray meets z = 0 at a distance set by the lens
 * height. Optical frame as in sensor_msgs/CameraInfo: x right, y down, z along the optical axis.
 */
import { baseToOptical } from '../../../camera/mount';
import type { CameraModel } from './camera-model';

export interface GroundPoint {
  /** base_link coordinates of the point on the floor. */
  readonly x_m: number;
  readonly y_m: number;
  /** Horizontal distance from the lens, which sets how well a pixel pins the point down. */
  readonly range_m: number;
}

/**
 * Where the ray through pixel (u, v) meets the ground, or undefined when it does not (at or above the horizon)
 * or meets it beyond `maxRange_m`, where a pixel spans too much floor to measure motion.
 */
export function pixelToGround(
  camera: CameraModel,
  u: number,
  v: number,
  maxRange_m = Infinity,
): GroundPoint | undefined {
  const ox = (u - camera.cx_px) / camera.fx_px;
  const oy = (v - camera.cy_px) / camera.fy_px;
  // Optical (x right, y down, z ahead) → level camera body (x ahead, y left, z up), then the downward pitch.
  const c = Math.cos(camera.mount.pitch_rad);
  const s = Math.sin(camera.mount.pitch_rad);
  const dx = c - s * oy; // body (1, −ox, −oy) rotated by +pitch about y
  const dy = -ox;
  const dz = -s - c * oy;
  if (!(dz < -1e-9)) return undefined;
  const t = camera.mount.height_m / -dz;
  const gx = t * dx;
  const gy = t * dy;
  const range = Math.hypot(gx, gy);
  if (!(range <= maxRange_m)) return undefined;
  return { x_m: camera.mount.forward_m + gx, y_m: camera.mount.lateral_m + gy, range_m: range };
}

/** The pixel that sees ground point (x, y) of base_link, or undefined when it lies behind the lens. */
export function groundToPixel(
  camera: CameraModel,
  x_m: number,
  y_m: number,
): { u: number; v: number } | undefined {
  const p = baseToOptical(camera.mount, x_m, y_m);
  if (!(p.z > 1e-6)) return undefined;
  return { u: camera.cx_px + (camera.fx_px * p.x) / p.z, v: camera.cy_px + (camera.fy_px * p.y) / p.z };
}

/**
 * Per image row, whether that row's centre sees the ground within `maxRange_m` anywhere across the image: the
 * region worth searching for floor features. Rows are independent of u only for a camera without roll, which a
 * fixed mount on a level robot is.
 */
export function groundRows(camera: CameraModel, maxRange_m: number): Uint8Array {
  const rows = new Uint8Array(camera.height_px);
  for (let r = 0; r < camera.height_px; r++) {
    const v = r + 0.5;
    // The image centre column sees the nearest floor of a row; if it is out of range, the whole row is.
    rows[r] = pixelToGround(camera, camera.cx_px, v, maxRange_m) ? 1 : 0;
  }
  return rows;
}
