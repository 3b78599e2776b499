import { z } from 'zod';

/**
 * Every tunable number of the package, in one validated tree. The same tree is what a ROS 2 parameter file
 * holds under `ros__parameters` (nested maps become dotted parameter names), so one YAML file configures both
 * `svnav` without ROS and the nodes under `ros2 launch … --params-file`.
 *
 * Units are in the names (`_s`, `_hz`, `_mps`, `_radps`, `_m`, `_rad`). Integer arrays are avoided on purpose:
 * rclnodejs 2.2 rejects them in parameter files.
 */

const topic = z
  .string()
  .regex(/^[~/]?[A-Za-z_][A-Za-z0-9_/]*$/, 'a ROS topic name such as /camera/image_raw');
const positive = z.number().positive();
const nonNegative = z.number().min(0);

export const executionProviders = ['webgpu', 'cuda', 'cpu'] as const;
export type ExecutionProviderName = (typeof executionProviders)[number];

export const cameraSchema = z
  .object({
    topic: topic.default('/camera/image_raw'),
    type: z
      .enum(['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage'])
      .default('sensor_msgs/msg/Image'),
    frame_id: z.string().default('front_camera'),
    /** Mount of the camera on the robot (base_link), reported with the camera contract. */
    mount_height_m: nonNegative.default(0.3),
    /** Distance of the camera ahead of base_link along x. */
    mount_forward_m: z.number().min(-2).max(2).default(0.28),
    /** Positive pitches the camera down toward the floor. */
    mount_pitch_rad: z.number().min(-1.5708).max(1.5708).default(0),
    /** Horizontal field of view, used to draw the planned path into the image when no CameraInfo arrives. */
    hfov_deg: z.number().gt(0).lt(180).default(90),
    /** Camera relay (robot side of a split deployment): raw camera in, JPEG CompressedImage out. */
    relay_topic: topic.default('/camera/image_raw/compressed'),
    /** Above the model's 4 FPS so the planner's sampler always finds a frame near each 0.25 s tick. */
    relay_rate_hz: z.number().gt(0).max(60).default(8),
    /** Output width; the height follows the camera's aspect ratio (1280×720 → 640×360). */
    relay_width_px: z.number().int().min(16).max(4096).default(640),
    relay_jpeg_quality: z.number().int().min(1).max(100).default(80),
  })
  .strict();

export const modelSchema = z
  .object({
    dir: z.string().min(1).default('models/tiny'),
    /**
     * Preference order; each network falls back to the next provider that starts. The default is the CPU: on a
     * machine without a GPU, WebGPU may still start on a software Vulkan driver and run many times slower.
     * GPU workstations list their providers (config/go2.yaml: webgpu, cuda, cpu).
     */
    execution_providers: z.array(z.enum(executionProviders)).min(1).default(['cpu']),
    /**
     * Threads ONNX Runtime's CPU kernels may use (0 = one per core). On a robot computer that also runs the
     * controller and ROS, leaving a core free keeps their timing steady while a plan runs.
     */
    intra_op_threads: z.number().int().min(0).max(256).default(0),
    /** Robot mode refuses seeded (untrained) networks unless this is set; the refusal is logged loudly. */
    allow_untrained: z.boolean().default(false),
  })
  .strict();

/**
 * Thresholds of the geometric action source (issue 14), spread into `planner` as `geometric_*` keys (ROS
 * parameter names stay section.key). It reads the robot's motion off the floor in the imagined frames; the
 * camera's mount and fallback field of view come from `camera` (mount_height_m, mount_pitch_rad,
 * mount_forward_m, hfov_deg). A step that misses a gate makes the whole cycle "no plan".
 */
export const geometricKeys = {
  geometric_max_features: z.number().int().min(10).max(5000).default(300),
  geometric_feature_quality: z.number().gt(0).lt(1).default(0.005),
  geometric_min_feature_distance_px: positive.default(4),
  /** Floor farther than this from the lens is not used: a pixel spans too much floor there. */
  geometric_max_ground_range_m: positive.default(5),
  geometric_forward_backward_px: positive.default(0.5),
  geometric_ransac_threshold_px: positive.default(2.5),
  geometric_min_inliers: z.number().int().min(3).default(15),
  geometric_min_inlier_ratio: z.number().min(0).max(1).default(0.5),
  geometric_min_ground_coverage: z.number().min(0).max(1).default(0.2),
  geometric_max_residual_px: positive.default(1.5),
  geometric_max_step_translation_m: positive.default(1.0),
  geometric_max_step_rotation_rad: positive.default(0.8),
  /** Scale check: first-step speed vs odometry's measured speed (applies above geometric_odometry_min_speed_mps). */
  geometric_odometry_speed_tolerance_mps: positive.default(0.3),
  geometric_odometry_min_speed_mps: nonNegative.default(0.1),
  /** Turn a failed scale check into "no plan" (otherwise it is only reported in the plan's confidence). */
  geometric_require_odometry_agreement: z.boolean().default(false),
};

export const plannerSchema = z
  .object({
    instruction_topic: topic.default('/svnav/instruction'),
    /** Instruction given at start-up (also settable at run time through the topic). */
    instruction: z.string().max(2000).default(''),
    plan_topic: topic.default('/svnav/plan'),
    path_topic: topic.default('/svnav/path'),
    future_topic: topic.default('/svnav/imagined_future'),
    status_topic: topic.default('/svnav/status'),
    heartbeat_topic: topic.default('/svnav/heartbeat'),
    /** UniPC steps per plan: the release's 4 by default; more steps give better imagined video (e.g. 8). */
    sampler_steps: z.number().int().min(1).max(50).default(4),
    ddim_steps: z.number().int().min(1).max(100).default(10),
    seed: z.number().int().min(0).default(0),
    publish_preview: z.boolean().default(true),
    /** An episode with no net progress for this long while commanded to move is reported stuck and stopped. */
    stuck_timeout_s: positive.default(8),
    stuck_min_progress_m: positive.default(0.3),
    /** std_msgs/String commands at run time: "start" (a new episode), "stop" / "cancel" (end the episode). */
    command_topic: topic.default('/svnav/command'),
    /** The robot's base frame: the frame of a plan and of its path when no odometry pose is known. */
    base_frame_id: z.string().min(1).default('base_link'),
    /** The controller's watchdogs expect heartbeats well inside safety.planner_heartbeat_timeout_s. */
    heartbeat_rate_hz: z.number().min(1).max(100).default(10),
    /** Consecutive plan cycles ending in an inference error or non-finite output before the episode fails. */
    max_failed_plans: z.number().int().min(1).max(1000).default(3),
    /** Odometry farther than this from a frame's stamp is not that frame's pose (no input_pose then). */
    input_pose_max_offset_s: positive.default(0.2),
    preview_jpeg_quality: z.number().int().min(1).max(100).default(75),
    /**
     * Where a plan's motion comes from: the learned action head, the geometric reading of the imagined frames,
     * or `auto`: the head when the model manifest says its weights are trained, the geometric source otherwise.
     */
    action_source: z.enum(['learned', 'geometric', 'auto']).default('auto'),
    ...geometricKeys,
  })
  .strict();

export const controllerSchema = z
  .object({
    cmd_vel_topic: topic.default('/cmd_vel'),
    odom_topic: topic.default('/odom'),
    rate_hz: z.number().min(1).max(200).default(20),
    use_odometry_feedback: z.boolean().default(true),
    max_vx_mps: positive.max(3.8).default(0.5),
    min_vx_mps: z.number().min(-2.5).max(0).default(-0.2),
    max_vy_mps: positive.max(1.0).default(0.3),
    max_wz_radps: positive.max(4).default(1.0),
    max_ax_mps2: positive.default(1.0),
    max_ay_mps2: positive.default(1.0),
    max_alpha_radps2: positive.default(2.0),
    feedback_gain_xy: nonNegative.default(1.0),
    feedback_gain_theta: nonNegative.default(1.0),
    /** Odometry older than this is not used for feedback (feed-forward only). */
    odom_timeout_s: positive.default(0.5),
    /** A larger gap between robot and reference means odometry and plan disagree on frames: feed-forward only. */
    max_tracking_error_m: positive.default(1.0),
    /** std_msgs/String with JSON: state, stop reason, current command; published when it changes. */
    status_topic: topic.default('/svnav/controller_status'),
  })
  .strict();

export const safetySchema = z
  .object({
    estop_topic: topic.default('/svnav/estop'),
    planner_heartbeat_timeout_s: positive.default(0.5),
    camera_timeout_s: positive.default(1.0),
    plan_timeout_s: positive.default(2.0),
    /** go2_ros2_sdk drops all-zero Twists, so a real stop also needs the bridge's StopMove request. */
    stop_mode: z.enum(['zero_twist', 'zero_twist_and_stop_move']).default('zero_twist_and_stop_move'),
    sport_request_topic: topic.default('/api/sport/request'),
    arrival_displacement_m: positive.default(0.05),
    arrival_consecutive_plans: z.number().int().min(1).default(3),
    /** A plan that turns the robot by this much is not an arrival, however little it translates. */
    arrival_rotation_rad: positive.default(0.1),
  })
  .strict();

export const configSchema = z
  .object({
    camera: cameraSchema.default(cameraSchema.parse({})),
    model: modelSchema.default(modelSchema.parse({})),
    planner: plannerSchema.default(plannerSchema.parse({})),
    controller: controllerSchema.default(controllerSchema.parse({})),
    safety: safetySchema.default(safetySchema.parse({})),
  })
  .strict();

export type SvnavConfig = z.infer<typeof configSchema>;
export type CameraConfig = z.infer<typeof cameraSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type PlannerConfig = z.infer<typeof plannerSchema>;
export type ActionSource = PlannerConfig['action_source'];
export type ControllerConfig = z.infer<typeof controllerSchema>;
export type SafetyConfig = z.infer<typeof safetySchema>;
