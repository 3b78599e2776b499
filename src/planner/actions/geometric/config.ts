import type { CameraConfig, GeometricConfig } from '../../../config/schema';
import type { CameraMount } from './camera-model';
import type { GeometricOptions } from './options';

/** The estimator's options from the config's planner.geometric block. */
export function geometricOptionsFromConfig(c: GeometricConfig): GeometricOptions {
  return {
    maxFeatures: c.max_features,
    featureQuality: c.feature_quality,
    minFeatureDistance_px: c.min_feature_distance_px,
    maxGroundRange_m: c.max_ground_range_m,
    forwardBackward_px: c.forward_backward_px,
    ransacThreshold_px: c.ransac_threshold_px,
    minInliers: c.min_inliers,
    minInlierRatio: c.min_inlier_ratio,
    minGroundCoverage: c.min_ground_coverage,
    maxResidual_px: c.max_residual_px,
    maxStepTranslation_m: c.max_step_translation_m,
    maxStepRotation_rad: c.max_step_rotation_rad,
    odometrySpeedTolerance_mps: c.odometry_speed_tolerance_mps,
    odometryMinSpeed_mps: c.odometry_min_speed_mps,
    requireOdometryAgreement: c.require_odometry_agreement,
  };
}

/** The camera mount from the camera config (the config has no lateral offset: the Go2's camera is centred). */
export function cameraMountFromConfig(c: CameraConfig): CameraMount {
  return { height_m: c.mount_height_m, pitch_rad: c.mount_pitch_rad, forward_m: c.mount_forward_m, lateral_m: 0 };
}
