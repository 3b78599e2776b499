/**
 * Floor features followed from one frame to the next with OpenCV: Shi–Tomasi corners on the floor rows of the
 * earlier frame, pyramidal Lucas–Kanade forward and backward (a track that does not come back to its start is
 * dropped), and a RANSAC homography between the two images, which the points of one rigid plane obey.
 */
import type { CvMat, OpenCv } from './opencv';

/** Matched pixel pairs: earlier (u0, v0) → later (u1, v1). */
export interface Tracks {
  readonly u0: Float32Array;
  readonly v0: Float32Array;
  readonly u1: Float32Array;
  readonly v1: Float32Array;
  /** Corners found before tracking. */
  readonly corners: number;
}

export interface TrackOptions {
  readonly maxFeatures: number;
  readonly featureQuality: number;
  readonly minFeatureDistance_px: number;
  readonly forwardBackward_px: number;
}

const WINDOW_PX = 15;
const PYRAMID_LEVELS = 3;

/** An owned set of Mats freed together: WebAssembly memory is not garbage-collected. */
export class MatScope {
  readonly #mats: CvMat[] = [];
  add<M extends CvMat>(mat: M): M {
    this.#mats.push(mat);
    return mat;
  }
  delete(): void {
    for (const m of this.#mats.splice(0)) m.delete();
  }
}

/** Grey image of an interleaved RGB frame (owned by `scope`). */
export function greyMat(cv: OpenCv, scope: MatScope, rgb: Uint8Array, width: number, height: number): CvMat {
  const colour = scope.add(cv.matFromArray(height, width, cv.CV_8UC3, rgb));
  const grey = scope.add(new cv.Mat());
  cv.cvtColor(colour, grey, cv.COLOR_RGB2GRAY);
  return grey;
}

/** 8-bit mask with 255 on the rows flagged in `rows`. */
export function rowMask(cv: OpenCv, scope: MatScope, rows: Uint8Array, width: number): CvMat {
  const mask = scope.add(new cv.Mat(rows.length, width, cv.CV_8UC1));
  for (let r = 0; r < rows.length; r++) mask.data.fill(rows[r] ? 255 : 0, r * width, (r + 1) * width);
  return mask;
}

/** Corners of `earlier` inside `mask`, tracked into `later` and checked by tracking back. */
export function trackFeatures(
  cv: OpenCv,
  earlier: CvMat,
  later: CvMat,
  mask: CvMat,
  options: TrackOptions,
): Tracks {
  const scope = new MatScope();
  try {
    const corners = scope.add(new cv.Mat());
    cv.goodFeaturesToTrack(
      earlier,
      corners,
      options.maxFeatures,
      options.featureQuality,
      options.minFeatureDistance_px,
      mask,
      5,
    );
    const n = corners.rows;
    if (n === 0) return emptyTracks(0);
    const forward = lucasKanade(cv, scope, earlier, later, corners);
    const backward = lucasKanade(cv, scope, later, earlier, forward.points);
    return keepConsistent(corners.data32F, forward, backward, options.forwardBackward_px);
  } finally {
    scope.delete();
  }
}

interface Flow {
  points: CvMat;
  status: Uint8Array;
}

function lucasKanade(cv: OpenCv, scope: MatScope, from: CvMat, to: CvMat, points: CvMat): Flow {
  const next = scope.add(new cv.Mat());
  const status = scope.add(new cv.Mat());
  const err = scope.add(new cv.Mat());
  const criteria = new cv.TermCriteria(cv.TERM_CRITERIA_EPS | cv.TERM_CRITERIA_COUNT, 30, 0.01);
  const win = new cv.Size(WINDOW_PX, WINDOW_PX);
  cv.calcOpticalFlowPyrLK(from, to, points, next, status, err, win, PYRAMID_LEVELS, criteria);
  return { points: next, status: status.data };
}

function keepConsistent(start: Float32Array, forward: Flow, backward: Flow, maxError_px: number): Tracks {
  const n = start.length / 2;
  const fwd = forward.points.data32F;
  const back = backward.points.data32F;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!forward.status[i] || !backward.status[i]) continue;
    const e = Math.hypot(back[2 * i]! - start[2 * i]!, back[2 * i + 1]! - start[2 * i + 1]!);
    if (e <= maxError_px && Number.isFinite(fwd[2 * i]!) && Number.isFinite(fwd[2 * i + 1]!)) keep.push(i);
  }
  const out = emptyTracks(n, keep.length);
  keep.forEach((i, k) => {
    // OpenCV's corner coordinates put pixel centres at integers; ours at i + 0.5.
    out.u0[k] = start[2 * i]! + 0.5;
    out.v0[k] = start[2 * i + 1]! + 0.5;
    out.u1[k] = fwd[2 * i]! + 0.5;
    out.v1[k] = fwd[2 * i + 1]! + 0.5;
  });
  return out;
}

function emptyTracks(corners: number, n = 0): Tracks {
  return {
    u0: new Float32Array(n),
    v0: new Float32Array(n),
    u1: new Float32Array(n),
    v1: new Float32Array(n),
    corners,
  };
}

/**
 * Which of the pairs (a_i → b_i) fit one homography found by RANSAC with `threshold_px`; all false when OpenCV
 * finds none (fewer than 4 pairs, or degenerate ones).
 */
export function homographyInliers(
  cv: OpenCv,
  a: readonly (readonly [number, number])[],
  b: readonly (readonly [number, number])[],
  threshold_px: number,
): boolean[] {
  if (a.length < 4) return a.map(() => false);
  const scope = new MatScope();
  try {
    const src = scope.add(cv.matFromArray(a.length, 1, cv.CV_32FC2, a.flat()));
    const dst = scope.add(cv.matFromArray(b.length, 1, cv.CV_32FC2, b.flat()));
    const mask = scope.add(new cv.Mat());
    const h = scope.add(cv.findHomography(src, dst, cv.RANSAC, threshold_px, mask));
    if (h.empty() || mask.rows !== a.length) return a.map(() => false);
    return Array.from(mask.data.subarray(0, a.length), (m) => m !== 0);
  } finally {
    scope.delete();
  }
}
