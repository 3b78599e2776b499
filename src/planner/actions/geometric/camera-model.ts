/**
 * The camera the imagined frames were seen through: the robot's camera after the release's preprocessing
 * (OFFICIAL.md §1 step 3: centre square crop of side min(h, w) at integer offsets, bilinear resize to S×S).
 *
 * Pixel coordinates put (0, 0) at the top-left corner of the top-left pixel (pixel centres at i + 0.5), the
 * convention in which a crop is a shift and a resize a scale. ROS CameraInfo puts that pixel's centre at (0, 0),
 * so its principal point moves by half a pixel on the way in.
 */

import {
  CameraModelError,
  checkSize,
  intrinsicsFromCameraInfo,
  intrinsicsFromHfov,
  type CameraInfoLike,
  type PinholeIntrinsics,
} from '../../../camera/intrinsics';
import type { MountGeometry } from '../../../camera/mount';

/** Intrinsics of the frames the estimator reads, the mount, and where the intrinsics came from (for the log). */
export interface CameraModel extends PinholeIntrinsics {
  readonly mount: MountGeometry;
  readonly source: 'camera_info' | 'fov';
  /** One line for the log, e.g. "camera_info 640×360 → centre crop 360 → 256×256, fx 227.6 px". */
  readonly description: string;
}

/** The release's centre square crop (side min(h, w), offsets (h−s)//2 and (w−s)//2) and resize to size×size. */
export function centreSquareCrop(intrinsics: PinholeIntrinsics, size_px: number): PinholeIntrinsics {
  checkSize('crop', size_px, size_px);
  const { width_px: w, height_px: h } = intrinsics;
  const side = Math.min(w, h);
  const top = Math.floor((h - side) / 2);
  const left = Math.floor((w - side) / 2);
  const scale = size_px / side;
  return {
    width_px: size_px,
    height_px: size_px,
    fx_px: intrinsics.fx_px * scale,
    fy_px: intrinsics.fy_px * scale,
    cx_px: (intrinsics.cx_px - left) * scale,
    cy_px: (intrinsics.cy_px - top) * scale,
  };
}

export interface CameraModelOptions {
  /** The camera's CameraInfo, when one has arrived; preferred over the field of view. */
  readonly cameraInfo?: CameraInfoLike | undefined;
  /** Fallback without CameraInfo: the camera's horizontal field of view (config camera.hfov_deg)... */
  readonly hfov_deg: number;
  /** ...and its image size, needed to know what the centre crop keeps (the size of the camera's frames). */
  readonly sourceWidth_px: number;
  readonly sourceHeight_px: number;
  readonly mount: MountGeometry;
  /** Side of the square frames the estimator reads (the release: 256). */
  readonly size_px: number;
}

/** The model of the S×S frames: from CameraInfo when given, otherwise from the configured field of view. */
export function cameraModel(options: CameraModelOptions): CameraModel {
  checkMount(options.mount);
  const info = options.cameraInfo;
  const source = info
    ? intrinsicsFromCameraInfo(info)
    : intrinsicsFromHfov(options.sourceWidth_px, options.sourceHeight_px, options.hfov_deg);
  const cropped = centreSquareCrop(source, options.size_px);
  const side = Math.min(source.width_px, source.height_px);
  const origin = info
    ? `camera_info ${info.width}×${info.height}`
    : `no camera_info: configured ${options.hfov_deg}° horizontal field of view on ${source.width_px}×${source.height_px}`;
  const description =
    `${origin} → centre crop ${side} → ${options.size_px}×${options.size_px}, ` +
    `fx ${cropped.fx_px.toFixed(1)} px, fy ${cropped.fy_px.toFixed(1)} px, ` +
    `c (${cropped.cx_px.toFixed(1)}, ${cropped.cy_px.toFixed(1)}); mount h ${options.mount.height_m} m, ` +
    `pitch ${options.mount.pitch_rad} rad, forward ${options.mount.forward_m} m, lateral ${options.mount.lateral_m} m`;
  return { ...cropped, mount: options.mount, source: info ? 'camera_info' : 'fov', description };
}

function checkMount(mount: MountGeometry): void {
  // Named, not Object.entries: a full CameraMount also carries its frame id, which is no number.
  for (const name of ['height_m', 'pitch_rad', 'forward_m', 'lateral_m'] as const) {
    const value = mount[name];
    if (!Number.isFinite(value)) throw new CameraModelError(`camera mount ${name} is ${value}`);
  }
  // The ground plane gives scale only through the lens height: a camera on the floor sees no ground.
  if (!(mount.height_m > 0.01)) {
    throw new CameraModelError(
      `camera mount height must be > 0.01 m for ground-plane scale, got ${mount.height_m}`,
    );
  }
  if (Math.abs(mount.pitch_rad) >= Math.PI / 2) {
    throw new CameraModelError(`camera mount pitch must be within ±π/2 rad, got ${mount.pitch_rad}`);
  }
}
