/**
 * Pinhole intrinsics of a camera image: the one model the planner's geometric action source and the path drawn into
 * the camera image share. Pixel coordinates put (0, 0) at the top-left corner of the top-left pixel (pixel centres at
 * i + 0.5), Foxglove's convention and the one in which a crop is a shift and a resize a scale; ROS CameraInfo puts
 * that pixel's centre at (0, 0), so its principal point moves by half a pixel on the way in.
 */

export interface PinholeIntrinsics {
  readonly width_px: number;
  readonly height_px: number;
  readonly fx_px: number;
  readonly fy_px: number;
  readonly cx_px: number;
  readonly cy_px: number;
}

/** The subset of sensor_msgs/CameraInfo used: the image size and K = [fx 0 cx; 0 fy cy; 0 0 1]. */
export interface CameraInfoLike {
  readonly width: number;
  readonly height: number;
  readonly k: ArrayLike<number>;
}

export class CameraModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CameraModelError';
  }
}

export function intrinsicsFromCameraInfo(info: CameraInfoLike): PinholeIntrinsics {
  checkSize('CameraInfo', info.width, info.height);
  const k = Array.from(info.k);
  if (k.length !== 9 || !k.every(Number.isFinite)) {
    throw new CameraModelError(`CameraInfo k must be 9 finite numbers, got [${k.join(', ')}]`);
  }
  const [fx, , cx, , fy, cy] = k as [number, number, number, number, number, number];
  if (!(fx > 0 && fy > 0)) {
    throw new CameraModelError(`CameraInfo focal lengths must be > 0, got fx=${fx} fy=${fy}`);
  }
  return {
    width_px: info.width,
    height_px: info.height,
    fx_px: fx,
    fy_px: fy,
    cx_px: cx + 0.5,
    cy_px: cy + 0.5,
  };
}

/** Square pixels, principal point at the image centre, focal length from the horizontal field of view. */
export function intrinsicsFromHfov(width_px: number, height_px: number, hfov_deg: number): PinholeIntrinsics {
  checkSize('camera', width_px, height_px);
  if (!(hfov_deg > 0 && hfov_deg < 180)) {
    throw new CameraModelError(`horizontal field of view must be in (0, 180) degrees, got ${hfov_deg}`);
  }
  const f = width_px / 2 / Math.tan((hfov_deg * Math.PI) / 360);
  return { width_px, height_px, fx_px: f, fy_px: f, cx_px: width_px / 2, cy_px: height_px / 2 };
}

export function checkSize(what: string, width: number, height: number): void {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new CameraModelError(`${what} image size must be positive integers, got ${width}×${height}`);
  }
}

/** `/camera/image_raw/compressed` and `/camera/image_raw` → `/camera/camera_info` (image_transport's layout). */
export function cameraInfoTopicFor(imageTopic: string): string {
  const base = imageTopic.replace(/\/compressed$/, '');
  const slash = base.lastIndexOf('/');
  return `${slash > 0 ? base.slice(0, slash) : ''}/camera_info`;
}
