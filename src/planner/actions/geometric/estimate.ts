/**
 * The geometric action source: the plan the action head would produce (8 relative motions at 4 Hz over the
 * first 2 s), read from the imagined future itself by following the floor from frame to frame. This is the
 * reading the paper uses to label the action head's training data (Sec. III-F), done at run time.
 *
 * Frames: the last reference frame and the 8 frames of the first two future chunks, in order, at 4 FPS
 * (decoded frames 4..12 of the release's 37: see OFFICIAL.md §2). Step i is the motion from frame i to frame
 * i + 1, in base_link of frame i (the Plan message's convention). Any step that cannot be read makes the whole
 * result "no plan": a plan with a hole would drive blind through it.
 */
import type { CameraModel } from './camera-model';
import { groundRows } from './ground';
import { checkAgainstOdometry, type MeasuredVelocity, type OdometryCheck } from './odometry-check';
import { loadOpenCv, type OpenCv } from './opencv';
import { DEFAULT_GEOMETRIC_OPTIONS, type GeometricOptions } from './options';
import { estimateStep, type StepConfidence } from './step';
import { greyMat, MatScope, rowMask } from './tracks';

export const PLAN_STEPS = 8;
export const PLAN_FRAMES = PLAN_STEPS + 1;
export const STEP_DT_S = 0.25;

/** One decoded frame: interleaved RGB, row-major, width × height × 3 bytes. */
export interface ImageFrame {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** (Δx m, Δy m, Δθ rad) in base_link of the earlier frame, REP-103. */
export type MotionStep = readonly [dx_m: number, dy_m: number, dtheta_rad: number];

export interface PlanConfidence {
  /** 0..1, the weakest step's: 1 when every step has twice the required inliers and floor coverage. */
  readonly score: number;
  readonly minInliers: number;
  readonly minInlierRatio: number;
  readonly minGroundCoverage: number;
  readonly maxResidual_px: number;
  /** Per step, as far as the estimate got (a "no plan" lists the steps up to the failing one). */
  readonly steps: readonly StepConfidence[];
  /** The scale check against odometry, when odometry was given. */
  readonly odometry?: OdometryCheck;
}

export interface GeometricPlan {
  readonly kind: 'plan';
  readonly source: 'geometric';
  readonly stepDt_s: number;
  readonly steps: readonly MotionStep[];
  readonly confidence: PlanConfidence;
  /** Wall time of the estimate (not counting the one-off OpenCV load). */
  readonly costMs: number;
}

export interface GeometricNoPlan {
  readonly kind: 'no_plan';
  readonly source: 'geometric';
  /** Names the step and what was missing, e.g. "step 3 (frame 3 → 4): 4 floor features tracked, fewer than 20". */
  readonly reason: string;
  readonly confidence: PlanConfidence;
  readonly costMs: number;
}

export type GeometricEstimate = GeometricPlan | GeometricNoPlan;

export interface EstimateOptions extends Partial<GeometricOptions> {
  /** The robot's measured velocity at the last reference frame, for the scale check. */
  readonly odometry?: MeasuredVelocity | undefined;
}

/** Frames that do not fit the camera model: a wiring error, not something to plan around. */
export class GeometricInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeometricInputError';
  }
}

/**
 * Loads OpenCV once (≈0.6–1.5 s the first time), then estimates, handing the event loop back between steps so
 * that heartbeats and messages keep flowing during the ≈0.1 s the estimate takes.
 */
export async function estimateMotionPlan(
  frames: readonly ImageFrame[],
  camera: CameraModel,
  options: EstimateOptions = {},
): Promise<GeometricEstimate> {
  const { cv } = await loadOpenCv();
  const run = estimation(cv, frames, camera, options);
  for (let r = run.next(); ; r = run.next()) {
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The estimate with an already loaded OpenCV, synchronously (it holds the thread for its whole cost). */
export function estimateMotionPlanWith(
  cv: OpenCv,
  frames: readonly ImageFrame[],
  camera: CameraModel,
  options: EstimateOptions = {},
): GeometricEstimate {
  const run = estimation(cv, frames, camera, options);
  for (let r = run.next(); ; r = run.next()) if (r.done) return r.value;
}

/** The estimate as a generator that pauses after each step; `costMs` counts only the time spent working. */
function* estimation(
  cv: OpenCv,
  frames: readonly ImageFrame[],
  camera: CameraModel,
  options: EstimateOptions,
): Generator<void, GeometricEstimate> {
  let busy = 0;
  let resumed = performance.now();
  checkFrames(frames, camera);
  const opts: GeometricOptions = { ...DEFAULT_GEOMETRIC_OPTIONS, ...definedOnly(options) };
  const rows = groundRows(camera, opts.maxGroundRange_m);
  const floorTop = rows.indexOf(1);
  const confidences: StepConfidence[] = [];
  const steps: MotionStep[] = [];
  const result = (reason?: string): GeometricEstimate =>
    finish(reason, steps, confidences, opts, options.odometry, busy + performance.now() - resumed);
  if (floorTop < 0) {
    return result(`the camera sees no floor within ${opts.maxGroundRange_m} m (${camera.description})`);
  }
  const scope = new MatScope();
  try {
    const mask = rowMask(cv, scope, rows, camera.width_px);
    const greys = frames.map((f) => greyMat(cv, scope, f.rgb, f.width, f.height));
    for (let i = 0; i < PLAN_STEPS; i++) {
      const s = estimateStep(cv, greys[i]!, greys[i + 1]!, mask, floorTop, camera, opts);
      confidences.push(s.confidence);
      if (!s.ok) return result(`step ${i} (frame ${i} → ${i + 1}): ${s.reason}`);
      steps.push([s.step.x_m, s.step.y_m, s.step.theta_rad]);
      busy += performance.now() - resumed;
      yield;
      resumed = performance.now();
    }
  } finally {
    scope.delete();
  }
  return result();
}

function finish(
  failure: string | undefined,
  steps: readonly MotionStep[],
  stepConfidences: readonly StepConfidence[],
  opts: GeometricOptions,
  odometry: MeasuredVelocity | undefined,
  costMs: number,
): GeometricEstimate {
  const base = summarise(stepConfidences, opts, failure === undefined);
  const measured = odometry && Number.isFinite(odometry.vx_mps) && Number.isFinite(odometry.vy_mps);
  if (failure !== undefined || !measured) {
    return failure !== undefined
      ? { kind: 'no_plan', source: 'geometric', reason: failure, confidence: base, costMs }
      : { kind: 'plan', source: 'geometric', stepDt_s: STEP_DT_S, steps, confidence: base, costMs };
  }
  const check = checkAgainstOdometry(
    steps[0]!,
    STEP_DT_S,
    odometry,
    opts.odometrySpeedTolerance_mps,
    opts.odometryMinSpeed_mps,
  );
  const confidence = { ...base, odometry: check };
  if (!check.consistent && opts.requireOdometryAgreement) {
    const reason =
      `first step at ${check.estimated_mps.toFixed(2)} m/s disagrees with odometry's ` +
      `${check.measured_mps.toFixed(2)} m/s by more than ${check.tolerance_mps} m/s`;
    return { kind: 'no_plan', source: 'geometric', reason, confidence, costMs };
  }
  return { kind: 'plan', source: 'geometric', stepDt_s: STEP_DT_S, steps, confidence, costMs };
}

function summarise(steps: readonly StepConfidence[], o: GeometricOptions, complete: boolean): PlanConfidence {
  const min = (f: (s: StepConfidence) => number): number => (steps.length ? Math.min(...steps.map(f)) : 0);
  const stepScore = (s: StepConfidence): number =>
    Math.min(1, s.inliers / (2 * o.minInliers)) * Math.min(1, s.groundCoverage / (2 * o.minGroundCoverage));
  return {
    score: complete ? min(stepScore) : 0,
    minInliers: min((s) => s.inliers),
    minInlierRatio: min((s) => s.inlierRatio),
    minGroundCoverage: min((s) => s.groundCoverage),
    // −1 when no step got as far as a fit.
    maxResidual_px: steps.length ? Math.max(...steps.map((s) => s.residual_px)) : -1,
    steps,
  };
}

function checkFrames(frames: readonly ImageFrame[], camera: CameraModel): void {
  if (frames.length !== PLAN_FRAMES) {
    throw new GeometricInputError(
      `the geometric action source needs ${PLAN_FRAMES} frames (last reference + ${PLAN_STEPS} future), got ${frames.length}`,
    );
  }
  frames.forEach((f, i) => {
    if (f.width !== camera.width_px || f.height !== camera.height_px) {
      throw new GeometricInputError(
        `frame ${i} is ${f.width}×${f.height}, the camera model is ${camera.width_px}×${camera.height_px}`,
      );
    }
    if (f.rgb.length !== f.width * f.height * 3) {
      throw new GeometricInputError(
        `frame ${i} holds ${f.rgb.length} bytes, expected ${f.width * f.height * 3} for ${f.width}×${f.height} RGB`,
      );
    }
  });
}

function definedOnly(options: EstimateOptions): Partial<GeometricOptions> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k !== 'odometry') out[k] = v;
  return out as Partial<GeometricOptions>;
}
