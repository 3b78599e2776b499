import type { PlannerConfig } from '../../../config/schema';
import type { GeometricOptions } from './options';

/** The estimator's options from the config's planner.geometric_* keys. */
export function geometricOptionsFromConfig(c: PlannerConfig): GeometricOptions {
  return {
    maxFeatures: c.geometric_max_features,
    featureQuality: c.geometric_feature_quality,
    minFeatureDistance_px: c.geometric_min_feature_distance_px,
    maxGroundRange_m: c.geometric_max_ground_range_m,
    forwardBackward_px: c.geometric_forward_backward_px,
    ransacThreshold_px: c.geometric_ransac_threshold_px,
    minInliers: c.geometric_min_inliers,
    minInlierRatio: c.geometric_min_inlier_ratio,
    minGroundCoverage: c.geometric_min_ground_coverage,
    maxResidual_px: c.geometric_max_residual_px,
    maxStepTranslation_m: c.geometric_max_step_translation_m,
    maxStepRotation_rad: c.geometric_max_step_rotation_rad,
    odometrySpeedTolerance_mps: c.geometric_odometry_speed_tolerance_mps,
    odometryMinSpeed_mps: c.geometric_odometry_min_speed_mps,
    requireOdometryAgreement: c.geometric_require_odometry_agreement,
  };
}
