/** Tunables of the geometric action source; the config's planner.geometric block carries the same numbers. */
export interface GeometricOptions {
  /** Corners sought per frame on the floor region (Shi–Tomasi). */
  readonly maxFeatures: number;
  /** Corner quality relative to the frame's best corner (OpenCV's qualityLevel). */
  readonly featureQuality: number;
  readonly minFeatureDistance_px: number;
  /** Floor farther than this from the lens is ignored: one pixel spans too much floor there. */
  readonly maxGroundRange_m: number;
  /** A track must come back to within this of its start when followed backwards (Lucas–Kanade both ways). */
  readonly forwardBackward_px: number;
  /** RANSAC threshold of the floor homography, and the Huber scale of the refinement. */
  readonly ransacThreshold_px: number;
  /** Gates of one step: fewer inliers, a smaller share of them, less of the floor covered, a larger residual → no plan. */
  readonly minInliers: number;
  readonly minInlierRatio: number;
  readonly minGroundCoverage: number;
  readonly maxResidual_px: number;
  /** A step larger than this (per 0.25 s) is not a walking robot's and means the estimate went wrong. */
  readonly maxStepTranslation_m: number;
  readonly maxStepRotation_rad: number;
  /** Odometry check: how far the first step's speed may be from the measured speed. */
  readonly odometrySpeedTolerance_mps: number;
  /** Below this measured speed the check does not apply (a robot at rest may start at any speed the plan says). */
  readonly odometryMinSpeed_mps: number;
  /** When set, a plan that fails the odometry check becomes "no plan". */
  readonly requireOdometryAgreement: boolean;
}

export const DEFAULT_GEOMETRIC_OPTIONS: GeometricOptions = Object.freeze({
  maxFeatures: 300,
  featureQuality: 0.005,
  minFeatureDistance_px: 4,
  maxGroundRange_m: 5,
  forwardBackward_px: 0.5,
  ransacThreshold_px: 2.5,
  minInliers: 15,
  minInlierRatio: 0.5,
  minGroundCoverage: 0.2,
  maxResidual_px: 1.5,
  maxStepTranslation_m: 1.0,
  maxStepRotation_rad: 0.8,
  odometrySpeedTolerance_mps: 0.3,
  odometryMinSpeed_mps: 0.1,
  requireOdometryAgreement: false,
});
