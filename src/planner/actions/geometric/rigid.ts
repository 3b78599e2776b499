/**
 * The planar rigid motion between two views of the same floor points. A step (x, y, θ) is the pose of the later
 * base_link in the earlier one, so a floor point seen at p from the earlier pose and at q from the later one
 * satisfies p = R(θ)·q + (x, y).
 */
import { pointInFrame, type Pose2D } from '../../../geometry/se2';
import type { CameraModel } from './camera-model';
import { groundToPixel } from './ground';

export type Step = Pose2D;

export interface Correspondence {
  /** The floor point in the earlier base_link (from its pixel in the earlier frame). */
  readonly px: number;
  readonly py: number;
  /** The same point in the later base_link (from its pixel in the later frame). */
  readonly qx: number;
  readonly qy: number;
  /** Where it was tracked to in the later frame. */
  readonly u: number;
  readonly v: number;
  /** Relative weight (the precision of the floor position). */
  readonly weight: number;
}

/** Weighted least-squares rigid fit in the plane (2-D Procrustes, closed form); undefined without weight. */
export function fitRigid(points: readonly Correspondence[]): Step | undefined {
  let sw = 0;
  let pxm = 0;
  let pym = 0;
  let qxm = 0;
  let qym = 0;
  for (const c of points) {
    sw += c.weight;
    pxm += c.weight * c.px;
    pym += c.weight * c.py;
    qxm += c.weight * c.qx;
    qym += c.weight * c.qy;
  }
  if (!(sw > 0)) return undefined;
  pxm /= sw;
  pym /= sw;
  qxm /= sw;
  qym /= sw;
  let cross = 0;
  let dot = 0;
  for (const c of points) {
    const qx = c.qx - qxm;
    const qy = c.qy - qym;
    const px = c.px - pxm;
    const py = c.py - pym;
    cross += c.weight * (qx * py - qy * px);
    dot += c.weight * (qx * px + qy * py);
  }
  const theta = Math.atan2(cross, dot);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  return { x_m: pxm - (cos * qxm - sin * qym), y_m: pym - (sin * qxm + cos * qym), theta_rad: theta };
}

/** Pixel where the later frame should see the earlier floor point (px, py) if the robot moved by `step`. */
export function predictPixel(
  camera: CameraModel,
  step: Step,
  px: number,
  py: number,
): { u: number; v: number } | undefined {
  const q = pointInFrame(step, px, py);
  return groundToPixel(camera, q.x_m, q.y_m);
}

/** Reprojection error (px) of each correspondence under `step`; Infinity where the point falls behind the lens. */
export function residualsPx(
  camera: CameraModel,
  step: Step,
  points: readonly Correspondence[],
): Float64Array {
  const out = new Float64Array(points.length);
  points.forEach((c, i) => {
    const p = predictPixel(camera, step, c.px, c.py);
    out[i] = p ? Math.hypot(p.u - c.u, p.v - c.v) : Infinity;
  });
  return out;
}

/**
 * Gauss–Newton on the reprojection error in the later image, from `start`. Pixels are where the measurement
 * noise lives; errors on the floor grow with the square of the range, so this weighs near and far points
 * as the camera actually sees them. Huber weights (scale `huber_px`) keep a stray match from pulling.
 */
export function refineInImage(
  camera: CameraModel,
  start: Step,
  points: readonly Correspondence[],
  huber_px: number,
  iterations = 5,
): Step {
  let x = [start.x_m, start.y_m, start.theta_rad];
  const toStep = (v: number[]): Step => ({ x_m: v[0]!, y_m: v[1]!, theta_rad: v[2]! });
  const eps = [1e-5, 1e-5, 1e-6];
  for (let it = 0; it < iterations; it++) {
    const H = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const g = [0, 0, 0];
    for (const c of points) {
      const p0 = predictPixel(camera, toStep(x), c.px, c.py);
      if (!p0) continue;
      const ru = c.u - p0.u;
      const rv = c.v - p0.v;
      const r = Math.hypot(ru, rv);
      const w = r <= huber_px ? 1 : huber_px / r;
      const J: [number, number][] = [];
      for (let k = 0; k < 3; k++) {
        const xk = x.slice();
        xk[k]! += eps[k]!;
        const pk = predictPixel(camera, toStep(xk), c.px, c.py) ?? p0;
        J.push([(pk.u - p0.u) / eps[k]!, (pk.v - p0.v) / eps[k]!]);
      }
      for (let a = 0; a < 3; a++) {
        g[a]! += w * (J[a]![0] * ru + J[a]![1] * rv);
        for (let b = 0; b < 3; b++) H[a * 3 + b]! += w * (J[a]![0] * J[b]![0] + J[a]![1] * J[b]![1]);
      }
    }
    const delta = solve3(H, g);
    if (!delta) break;
    x = x.map((v, k) => v + delta[k]!);
    if (Math.abs(delta[0]!) + Math.abs(delta[1]!) < 1e-7 && Math.abs(delta[2]!) < 1e-8) break;
  }
  return toStep(x);
}

/** Solves the symmetric 3×3 system H·d = g by Cramer's rule; undefined when (near) singular. */
function solve3(H: readonly number[], g: readonly number[]): number[] | undefined {
  const [a, b, c, d, e, f, gg, h, i] = H as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const det = a * (e * i - f * h) - b * (d * i - f * gg) + c * (d * h - e * gg);
  const scale = Math.abs(a * e * i) + 1e-300;
  if (!(Math.abs(det) > 1e-12 * scale) || !Number.isFinite(det)) return undefined;
  const [g0, g1, g2] = g as [number, number, number];
  return [
    (g0 * (e * i - f * h) - b * (g1 * i - f * g2) + c * (g1 * h - e * g2)) / det,
    (a * (g1 * i - f * g2) - g0 * (d * i - f * gg) + c * (d * g2 - g1 * gg)) / det,
    (a * (e * g2 - g1 * h) - b * (d * g2 - g1 * gg) + g0 * (d * h - e * gg)) / det,
  ];
}
