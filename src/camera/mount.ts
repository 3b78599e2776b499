import type { CameraConfig } from '../config/schema';

/**
 * Where the camera sits on base_link (REP-103: x forward, y left, z up; the ground at z = 0). One shape for
 * everyone who relates the image to the floor: the geometric action source reads motion from it, viz draws
 * the plan into the image and publishes base→camera with it.
 */
export interface CameraMount {
  /** The camera's optical frame id (the frame_id of its images). */
  readonly frameId: string;
  /** Lens height above the ground. */
  readonly height_m: number;
  /** Downward tilt (a positive rotation about base_link's y axis); 0 looks level. */
  readonly pitch_rad: number;
  /** Lens position ahead of base_link's origin. */
  readonly forward_m: number;
  /** Lens position left of base_link's origin. */
  readonly lateral_m: number;
}

/** The mount without its frame name: all that projecting between pixels and the floor needs. */
export type MountGeometry = Omit<CameraMount, 'frameId'>;

/** The mount from the camera config (the config has no lateral offset: the Go2's camera is centred). */
export function cameraMountFromConfig(camera: CameraConfig): CameraMount {
  return {
    frameId: camera.frame_id,
    height_m: camera.mount_height_m,
    pitch_rad: camera.mount_pitch_rad,
    forward_m: camera.mount_forward_m,
    lateral_m: 0,
  };
}

/** A point in the camera's optical frame (sensor_msgs/CameraInfo: x right, y down, z along the optical axis). */
export interface OpticalPoint {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** Where base_link's point (x, y, z) is in the optical frame; z is its depth in front of the lens. */
export function baseToOptical(mount: MountGeometry, x_m: number, y_m: number, z_m = 0): OpticalPoint {
  const dx = x_m - mount.forward_m;
  const dy = y_m - mount.lateral_m;
  const dz = z_m - mount.height_m;
  // Undo the pitch: the camera body frame is base_link rotated by +pitch about y.
  const c = Math.cos(mount.pitch_rad);
  const s = Math.sin(mount.pitch_rad);
  const bx = c * dx - s * dz;
  const bz = s * dx + c * dz;
  return { x: -dy, y: -bz, z: bx };
}
