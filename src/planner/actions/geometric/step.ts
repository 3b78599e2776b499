/**
 * One step of the plan: the robot's planar motion between two consecutive frames, read from the floor.
 * Tracked floor pixels become floor points in each frame's base_link; a RANSAC homography (OpenCV) removes
 * tracks that do not move with one plane, a closed-form rigid fit and a refinement on the pixels give the
 * motion, and tracks that still disagree with it are dropped once before the final fit.
 */
import type { CameraModel } from './camera-model';
import { pixelToGround } from './ground';
import type { OpenCv, CvMat } from './opencv';
import type { GeometricOptions } from './options';
import { fitRigid, refineInImage, residualsPx, type Correspondence, type Step } from './rigid';
import { homographyInliers, trackFeatures, type Tracks } from './tracks';

export interface StepConfidence {
  /** Floor corners found in the earlier frame. */
  readonly corners: number;
  /** Of them, tracked both ways and on the floor in both frames. */
  readonly tracked: number;
  /** Tracks that agree with the final motion within the RANSAC threshold. */
  readonly inliers: number;
  readonly inlierRatio: number;
  /** Share of the floor region's 4×4 image cells holding an inlier: motion read from one corner is fragile. */
  readonly groundCoverage: number;
  /** RMS reprojection error of the inliers under the final motion (px): how well they agree; −1 before a fit. */
  readonly residual_px: number;
}

export type StepEstimate =
  | { readonly ok: true; readonly step: Step; readonly confidence: StepConfidence }
  | { readonly ok: false; readonly reason: string; readonly confidence: StepConfidence };

const GRID = 4;

export function estimateStep(
  cv: OpenCv,
  earlier: CvMat,
  later: CvMat,
  floorMask: CvMat,
  floorTop_px: number,
  camera: CameraModel,
  options: GeometricOptions,
): StepEstimate {
  const tracks = trackFeatures(cv, earlier, later, floorMask, options);
  const pairs = onFloor(tracks, camera, options.maxGroundRange_m);
  const base = { corners: tracks.corners, tracked: pairs.length };
  const fail = (reason: string, more: Partial<StepConfidence> = {}): StepEstimate => ({
    ok: false,
    reason,
    confidence: { inliers: 0, inlierRatio: 0, groundCoverage: 0, residual_px: -1, ...base, ...more },
  });
  if (pairs.length < options.minInliers) {
    return fail(`${pairs.length} floor features tracked, fewer than ${options.minInliers}`);
  }
  const planar = homographyInliers(
    cv,
    pairs.map((c) => [c.u0, c.v0] as const),
    pairs.map((c) => [c.u, c.v] as const),
    options.ransacThreshold_px,
  );
  let inliers = pairs.filter((_, i) => planar[i]);
  if (inliers.length < options.minInliers) {
    return fail(`${inliers.length} tracks move with one plane, fewer than ${options.minInliers}`);
  }
  let step: Step | undefined;
  for (let pass = 0; pass < 2; pass++) {
    const start = fitRigid(inliers);
    if (!start) return fail('the floor points carry no weight');
    step = refineInImage(camera, start, inliers, options.ransacThreshold_px);
    const r = residualsPx(camera, step, pairs);
    inliers = pairs.filter((_, i) => r[i]! <= options.ransacThreshold_px);
    if (inliers.length < options.minInliers) {
      return fail(`${inliers.length} tracks agree with the floor motion, fewer than ${options.minInliers}`);
    }
  }
  const confidence = measure(camera, step!, pairs, inliers, floorTop_px, base);
  const problem = gate(step!, confidence, options);
  return problem ? { ok: false, reason: problem, confidence } : { ok: true, step: step!, confidence };
}

interface Pair extends Correspondence {
  readonly u0: number;
  readonly v0: number;
}

/** Tracks whose both ends see the floor within range, as floor points weighted by 1/range² (for the start fit). */
function onFloor(tracks: Tracks, camera: CameraModel, maxRange_m: number): Pair[] {
  const out: Pair[] = [];
  for (let i = 0; i < tracks.u0.length; i++) {
    const p = pixelToGround(camera, tracks.u0[i]!, tracks.v0[i]!, maxRange_m);
    const q = pixelToGround(camera, tracks.u1[i]!, tracks.v1[i]!, maxRange_m);
    if (!p || !q) continue;
    out.push({
      px: p.x_m,
      py: p.y_m,
      qx: q.x_m,
      qy: q.y_m,
      u0: tracks.u0[i]!,
      v0: tracks.v0[i]!,
      u: tracks.u1[i]!,
      v: tracks.v1[i]!,
      weight: 1 / (p.range_m * p.range_m),
    });
  }
  return out;
}

function measure(
  camera: CameraModel,
  step: Step,
  pairs: readonly Pair[],
  inliers: readonly Pair[],
  floorTop_px: number,
  base: { corners: number; tracked: number },
): StepConfidence {
  const r = residualsPx(camera, step, inliers);
  let sq = 0;
  for (const e of r) sq += e * e;
  const cells = new Set<number>();
  const cellH = (camera.height_px - floorTop_px) / GRID;
  const cellW = camera.width_px / GRID;
  for (const c of inliers) {
    const row = Math.min(GRID - 1, Math.max(0, Math.floor((c.v0 - floorTop_px) / cellH)));
    const col = Math.min(GRID - 1, Math.max(0, Math.floor(c.u0 / cellW)));
    cells.add(row * GRID + col);
  }
  return {
    ...base,
    inliers: inliers.length,
    inlierRatio: inliers.length / pairs.length,
    groundCoverage: cells.size / (GRID * GRID),
    residual_px: Math.sqrt(sq / Math.max(1, r.length)),
  };
}

function gate(step: Step, c: StepConfidence, o: GeometricOptions): string | undefined {
  if (!(Number.isFinite(step.x_m) && Number.isFinite(step.y_m) && Number.isFinite(step.theta_rad))) {
    return 'the fit did not converge to a finite motion';
  }
  if (c.inlierRatio < o.minInlierRatio) {
    return `only ${(100 * c.inlierRatio).toFixed(0)} % of the floor tracks agree (< ${(100 * o.minInlierRatio).toFixed(0)} %)`;
  }
  if (c.groundCoverage < o.minGroundCoverage) {
    return `agreeing tracks cover ${(100 * c.groundCoverage).toFixed(0)} % of the floor (< ${(100 * o.minGroundCoverage).toFixed(0)} %)`;
  }
  if (c.residual_px > o.maxResidual_px) {
    return `tracks disagree with the motion by ${c.residual_px.toFixed(2)} px RMS (> ${o.maxResidual_px} px)`;
  }
  const d = Math.hypot(step.x_m, step.y_m);
  if (d > o.maxStepTranslation_m || Math.abs(step.theta_rad) > o.maxStepRotation_rad) {
    return `implausible step of ${d.toFixed(2)} m and ${step.theta_rad.toFixed(2)} rad`;
  }
  return undefined;
}
