/**
 * Pinhole camera on the robot, for drawing ground-plane paths into the camera image.
 *
 * Frames: base_link is REP-103 (x forward, y left, z up) with the ground at z = 0 (the base_footprint
 * convention; the demo bag and the Go2 odometry keep z = 0). The camera frame is the optical frame Foxglove
 * and sensor_msgs/CameraInfo assume (x right, y down, z into the image). A positive mount pitch tilts the
 * camera down (a positive rotation about base_link's y axis, REP-103). Lens distortion is ignored: the path
 * is a guide for the eye, not a measurement.
 */
import type { PinholeIntrinsics } from '../camera/intrinsics';
import { baseToOptical, type CameraMount, type OpticalPoint } from '../camera/mount';
import type { Quaternion, Vector3 } from '../messages/ros';

/** Pixel of an optical point in front of the camera (top-left corner of the image is (0, 0)). */
export function projectOptical(intrinsics: PinholeIntrinsics, p: OpticalPoint): { u: number; v: number } {
  return {
    u: intrinsics.fx_px * (p.x / p.z) + intrinsics.cx_px,
    v: intrinsics.fy_px * (p.y / p.z) + intrinsics.cy_px,
  };
}

/** One projected vertex: pixel, and the path parameter it came from (for colouring by time). */
export interface ImagePoint {
  readonly u: number;
  readonly v: number;
  readonly t: number;
}

/**
 * Projects a ground polyline (base_link, z = 0) into the image. Parts behind the camera (closer than
 * `near_m` along the optical axis) are dropped; a segment crossing that plane is cut where it crosses, so
 * the visible part keeps its true direction. Each run of visible points becomes its own polyline.
 */
export function projectGroundPolyline(
  points: readonly { x_m: number; y_m: number; t: number }[],
  mount: CameraMount,
  intrinsics: PinholeIntrinsics,
  near_m = 0.05,
): ImagePoint[][] {
  const optical = points.map((p) => ({ ...baseToOptical(mount, p.x_m, p.y_m), t: p.t }));
  const lines: ImagePoint[][] = [];
  let current: ImagePoint[] = [];
  const emit = (p: OpticalPoint & { t: number }): void => {
    const { u, v } = projectOptical(intrinsics, p);
    current.push({ u, v, t: p.t });
  };
  const crossing = (a: OpticalPoint & { t: number }, b: OpticalPoint & { t: number }) => {
    const f = (near_m - a.z) / (b.z - a.z);
    return { x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y), z: near_m, t: a.t + f * (b.t - a.t) };
  };
  for (let i = 0; i < optical.length; i++) {
    const p = optical[i]!;
    const prev = i > 0 ? optical[i - 1]! : undefined;
    const visible = p.z >= near_m;
    const prevVisible = prev !== undefined && prev.z >= near_m;
    if (visible) {
      if (prev && !prevVisible) emit(crossing(prev, p));
      emit(p);
    } else if (prev && prevVisible) {
      emit(crossing(prev, p));
      lines.push(current);
      current = [];
    }
  }
  if (current.length > 0) lines.push(current);
  return lines.filter((line) => line.length >= 1);
}

/** The part of segment a→b inside [0, w]×[0, h] as fractions [f0, f1] along it, or undefined (Liang–Barsky). */
function clipSegment(a: ImagePoint, b: ImagePoint, w: number, h: number): [number, number] | undefined {
  let f0 = 0;
  let f1 = 1;
  const du = b.u - a.u;
  const dv = b.v - a.v;
  // Each edge: p·f ≤ q keeps the point inside.
  for (const [p, q] of [
    [-du, a.u],
    [du, w - a.u],
    [-dv, a.v],
    [dv, h - a.v],
  ] as const) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const f = q / p;
    if (p < 0) f0 = Math.max(f0, f);
    else f1 = Math.min(f1, f);
    if (f0 > f1) return undefined;
  }
  return [f0, f1];
}

function lerpPoint(a: ImagePoint, b: ImagePoint, f: number): ImagePoint {
  return { u: a.u + f * (b.u - a.u), v: a.v + f * (b.v - a.v), t: a.t + f * (b.t - a.t) };
}

/**
 * Cuts projected polylines to the image rectangle: each run inside becomes its own polyline, entering and
 * leaving at the border, so a path that starts below the image (under the robot) is drawn from where it
 * comes into view. A lone point is kept only when inside.
 */
export function clipPolylinesToImage(
  lines: readonly ImagePoint[][],
  intrinsics: PinholeIntrinsics,
): ImagePoint[][] {
  const w = intrinsics.width_px;
  const h = intrinsics.height_px;
  const out: ImagePoint[][] = [];
  for (const line of lines) {
    if (line.length === 1) {
      const p = line[0]!;
      if (p.u >= 0 && p.u <= w && p.v >= 0 && p.v <= h) out.push([p]);
      continue;
    }
    let current: ImagePoint[] = [];
    for (let i = 1; i < line.length; i++) {
      const a = line[i - 1]!;
      const b = line[i]!;
      const clip = clipSegment(a, b, w, h);
      if (!clip) continue;
      const [f0, f1] = clip;
      if (f0 > 0 || current.length === 0) {
        if (current.length > 0) out.push(current);
        current = [lerpPoint(a, b, f0)];
      }
      current.push(lerpPoint(a, b, f1));
      if (f1 < 1) {
        out.push(current);
        current = [];
      }
    }
    if (current.length > 0) out.push(current);
  }
  return out;
}

/** Rotation of the optical frame in base_link: the camera body frame pitched down, then x right, y down, z ahead. */
export function mountRotation(pitch_rad: number): Quaternion {
  // Optical → body: the optical axes x (right), y (down), z (ahead) are body −y, −z, +x.
  const opticalToBody = quaternionFromMatrix([
    [0, 0, 1],
    [-1, 0, 0],
    [0, -1, 0],
  ]);
  const pitch = { x: 0, y: Math.sin(pitch_rad / 2), z: 0, w: Math.cos(pitch_rad / 2) };
  return multiplyQuaternions(pitch, opticalToBody);
}

export function mountTranslation(mount: CameraMount): Vector3 {
  return { x: mount.forward_m, y: mount.lateral_m, z: mount.height_m };
}

export function multiplyQuaternions(a: Quaternion, b: Quaternion): Quaternion {
  return {
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
  };
}

/** Rotates v by the unit quaternion q. */
export function rotateVector(q: Quaternion, v: Vector3): Vector3 {
  const r = multiplyQuaternions(multiplyQuaternions(q, { x: v.x, y: v.y, z: v.z, w: 0 }), {
    x: -q.x,
    y: -q.y,
    z: -q.z,
    w: q.w,
  });
  return { x: r.x, y: r.y, z: r.z };
}

/** Unit quaternion of a proper rotation matrix (rows), with w ≥ 0. */
export function quaternionFromMatrix(m: readonly (readonly number[])[]): Quaternion {
  const [[m00, m01, m02], [m10, m11, m12], [m20, m21, m22]] = m as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ];
  const trace = m00 + m11 + m22;
  let q: Quaternion;
  // Branch on the largest diagonal term so the square root never sees a tiny or negative number.
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = { w: s / 4, x: (m21 - m12) / s, y: (m02 - m20) / s, z: (m10 - m01) / s };
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = { w: (m21 - m12) / s, x: s / 4, y: (m01 + m10) / s, z: (m02 + m20) / s };
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = { w: (m02 - m20) / s, x: (m01 + m10) / s, y: s / 4, z: (m12 + m21) / s };
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = { w: (m10 - m01) / s, x: (m02 + m20) / s, y: (m12 + m21) / s, z: s / 4 };
  }
  return q.w < 0 ? { x: -q.x, y: -q.y, z: -q.z, w: -q.w } : q;
}
