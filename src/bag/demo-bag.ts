/**
 * Deterministic generator of a Go2-like demo bag: a front camera looking down corridors (rendered from the
 * odometry pose, so image motion and odometry agree), camera info, odometry, odom→base_link TF and the velocity
 * commands that drove the robot: forward, left turn, forward, right turn, approach a wooden table and stop.
 */
import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { nsToStamp, NS_PER_S, type TimeNs } from '../messages/time';
import type { CompressedImage, Odometry, Twist } from '../messages/ros';
import { RosTypes } from '../messages/ros';
import {
  commandAt,
  DEMO_MOTION_END_S,
  simulateMotion,
  stateAt,
  yawToQuaternion,
  type PlanarState,
} from './demo/motion';
import { RayCastRenderer, type PinholeCamera } from './demo/render';
import { buildWorld } from './demo/world';
import { offeredQosYaml, RELIABLE_QOS, SENSOR_QOS } from './qos';
import { BagWriter } from './writer';

export const DEMO_TOPICS = {
  image: '/camera/image_raw/compressed',
  cameraInfo: '/camera/camera_info',
  odom: '/odom',
  tf: '/tf',
  cmdVel: '/cmd_vel',
} as const;

export const DEMO_FRAME_IDS = { odom: 'odom', base: 'base_link', camera: 'front_camera' } as const;

export interface DemoBagOptions {
  /** Length of the bag; the robot stops in front of the target after 35 s and stays. Default 40. */
  duration_s?: number;
  /** Varies textures and colours; the path is the same for every seed. Default 0. */
  seed?: number;
  /** Log time of the first message. Default 1 700 000 000 s after the epoch. */
  startTimeNs?: TimeNs;
  width?: number;
  height?: number;
  /** Horizontal field of view of the pinhole camera. Default 90°. */
  hfov_deg?: number;
  cameraRate_hz?: number;
  odomRate_hz?: number;
  cmdVelRate_hz?: number;
  jpegQuality?: number;
  /** Stops generation early; the bag written so far is closed properly. */
  signal?: AbortSignal;
  onProgress?: (done_s: number, total_s: number) => void;
  /** Replace an existing bag at the path (only one svnav wrote; see io/output.ts). Default false. */
  replace?: boolean;
}

export interface DemoBagResult {
  path: string;
  duration_s: number;
  messageCount: number;
  frameCount: number;
  bytes: number;
  elapsed_ms: number;
  aborted: boolean;
}

/** Camera mount on base_link (forward offset) and nominal lens height above the floor. */
const CAMERA_FORWARD_M = 0.28;
const CAMERA_HEIGHT_M = 0.32;

export async function generateDemoBag(path: string, options: DemoBagOptions = {}): Promise<DemoBagResult> {
  const started = Date.now();
  const duration = options.duration_s ?? 40;
  if (!(duration > 0 && duration <= 600))
    throw new RangeError(`demo bag duration must be in (0, 600] s, got ${duration}`);
  const start = options.startTimeNs ?? 1_700_000_000n * NS_PER_S;
  const events = schedule(duration, [
    ['odom', options.odomRate_hz ?? 50],
    ['cmd', options.cmdVelRate_hz ?? 20],
    ['camera', options.cameraRate_hz ?? 15],
  ]);
  const camera = pinhole(options.width ?? 1280, options.height ?? 720, options.hfov_deg ?? 90);
  const motion = simulateMotion(Math.max(duration, DEMO_MOTION_END_S));
  const frames = new DemoFrames(
    camera,
    motion,
    events.filter((e) => e.kind === 'camera').map((e) => e.t_s),
    options,
  );
  const writer = await BagWriter.create(path, {
    replace: options.replace ?? false,
    qosProfiles: {
      [DEMO_TOPICS.image]: offeredQosYaml(SENSOR_QOS),
      [DEMO_TOPICS.cameraInfo]: offeredQosYaml(SENSOR_QOS),
      [DEMO_TOPICS.odom]: offeredQosYaml(RELIABLE_QOS),
      [DEMO_TOPICS.tf]: offeredQosYaml(RELIABLE_QOS),
      [DEMO_TOPICS.cmdVel]: offeredQosYaml(RELIABLE_QOS),
    },
  });
  let aborted = false;
  let failed = true;
  try {
    for (const event of events) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const t = start + BigInt(Math.round(event.t_s * 1e9));
      if (event.kind === 'odom') await writeOdometry(writer, t, stateAt(motion, event.t_s));
      else if (event.kind === 'cmd') await writeCommand(writer, t, event.t_s);
      else {
        await frames.writeNext(writer, t);
        options.onProgress?.(event.t_s, duration);
      }
    }
    failed = false;
  } finally {
    await frames.settle();
    // An interrupted bag is still a good, shorter bag; one that failed mid-write is not kept.
    await (failed ? writer.discard() : writer.close());
  }
  return {
    path,
    duration_s: duration,
    messageCount: writer.messageCount,
    frameCount: frames.written,
    bytes: (await stat(path)).size,
    elapsed_ms: Date.now() - started,
    aborted,
  };
}

/**
 * The camera frames of the bag, rendered from the odometry pose at each frame time and JPEG-encoded. Frame k+1
 * is rendered on this thread while sharp encodes frame k on its own, so the two overlap.
 */
class DemoFrames {
  readonly #camera: PinholeCamera;
  readonly #motion: readonly PlanarState[];
  readonly #times: readonly number[];
  readonly #renderer: RayCastRenderer;
  readonly #bobPhase: number;
  readonly #quality: number;
  readonly #buffers: Uint8Array<ArrayBuffer>[];
  readonly #encoding = new Map<number, Promise<Buffer>>();
  #next = 0;

  constructor(
    camera: PinholeCamera,
    motion: readonly PlanarState[],
    times: readonly number[],
    options: Pick<DemoBagOptions, 'seed' | 'jpegQuality'>,
  ) {
    const seed = options.seed ?? 0;
    this.#camera = camera;
    this.#motion = motion;
    this.#times = times;
    this.#renderer = new RayCastRenderer(
      buildWorld(motion.filter((s) => s.t_s <= DEMO_MOTION_END_S)),
      camera,
      seed,
    );
    this.#bobPhase = seed * 0.7;
    this.#quality = options.jpegQuality ?? 80;
    this.#buffers = [0, 1, 2].map(() => new Uint8Array(camera.width * camera.height * 3));
  }

  /** Frames written so far. */
  get written(): number {
    return this.#next;
  }

  /** Writes the next frame (image and camera info) at log time `t`. */
  async writeNext(writer: BagWriter, t: TimeNs): Promise<void> {
    const k = this.#next++;
    this.#start(k);
    this.#start(k + 1);
    const jpeg = await this.#encoding.get(k)!;
    this.#encoding.delete(k);
    const header = { stamp: nsToStamp(t), frame_id: DEMO_FRAME_IDS.camera };
    const image: CompressedImage = { header, format: 'jpeg', data: jpeg };
    await writer.write(DEMO_TOPICS.image, RosTypes.CompressedImage, t, image);
    await writer.write(DEMO_TOPICS.cameraInfo, RosTypes.CameraInfo, t, cameraInfo(this.#camera, header));
  }

  /** Waits for encodings still running (the frame after the last one written). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#encoding.values());
  }

  #start(k: number): void {
    if (k >= this.#times.length || this.#encoding.has(k)) return;
    const pixels = this.#renderer.render(
      cameraPose(stateAt(this.#motion, this.#times[k]!), this.#bobPhase),
      this.#buffers[k % this.#buffers.length],
    );
    const raw = { width: this.#camera.width, height: this.#camera.height, channels: 3 as const };
    this.#encoding.set(k, sharp(pixels, { raw }).jpeg({ quality: this.#quality }).toBuffer());
  }
}

async function writeOdometry(writer: BagWriter, t: TimeNs, s: PlanarState): Promise<void> {
  const stamp = nsToStamp(t);
  await writer.write(DEMO_TOPICS.odom, RosTypes.Odometry, t, odometry(s, stamp));
  await writer.write(DEMO_TOPICS.tf, RosTypes.TFMessage, t, odomToBase(s, stamp));
}

async function writeCommand(writer: BagWriter, t: TimeNs, t_s: number): Promise<void> {
  const cmd = commandAt(t_s);
  const twist: Twist = {
    linear: { x: cmd.linear_mps, y: 0, z: 0 },
    angular: { x: 0, y: 0, z: cmd.angular_radps },
  };
  await writer.write(DEMO_TOPICS.cmdVel, RosTypes.Twist, t, twist);
}

type EventKind = 'odom' | 'cmd' | 'camera';

/** Every topic's publication times in [0, duration), merged in time order (ties in the order given). */
function schedule(
  duration_s: number,
  rates: readonly (readonly [EventKind, number])[],
): { t_s: number; kind: EventKind }[] {
  const events: { t_s: number; kind: EventKind; order: number }[] = [];
  rates.forEach(([kind, hz], order) => {
    for (let k = 0; k / hz < duration_s - 1e-9; k++) events.push({ t_s: k / hz, kind, order });
  });
  return events.sort((a, b) => a.t_s - b.t_s || a.order - b.order);
}

function pinhole(width: number, height: number, hfov_deg: number): PinholeCamera {
  // Rounded to µpx so that 90° gives exactly width / 2 (tan(π/4) is not exactly 1 in floating point).
  const f = Math.round((width / 2 / Math.tan((hfov_deg * Math.PI) / 360)) * 1e6) / 1e6;
  return { width, height, fx: f, fy: f, cx: width / 2, cy: height / 2 };
}

/** The lens pose: the camera mount on the body, bobbing slightly with the trot while walking. */
function cameraPose(
  s: PlanarState,
  bobPhase: number,
): { x_m: number; y_m: number; yaw_rad: number; height_m: number } {
  const bob = 0.006 * Math.min(1, Math.abs(s.v_mps) / 0.5) * Math.sin(2 * Math.PI * 2.4 * s.t_s + bobPhase);
  return {
    x_m: s.x_m + CAMERA_FORWARD_M * Math.cos(s.yaw_rad),
    y_m: s.y_m + CAMERA_FORWARD_M * Math.sin(s.yaw_rad),
    yaw_rad: s.yaw_rad,
    height_m: CAMERA_HEIGHT_M + bob,
  };
}

function covariance(diagonal: readonly number[]): Float64Array {
  const c = new Float64Array(36);
  diagonal.forEach((v, i) => (c[i * 7] = v));
  return c;
}

function odometry(s: PlanarState, stamp: { sec: number; nanosec: number }): Odometry {
  return {
    header: { stamp, frame_id: DEMO_FRAME_IDS.odom },
    child_frame_id: DEMO_FRAME_IDS.base,
    pose: {
      pose: { position: { x: s.x_m, y: s.y_m, z: 0 }, orientation: yawToQuaternion(s.yaw_rad) },
      covariance: covariance([1e-3, 1e-3, 1e-6, 1e-6, 1e-6, 1e-3]),
    },
    twist: {
      twist: { linear: { x: s.v_mps, y: 0, z: 0 }, angular: { x: 0, y: 0, z: s.w_radps } },
      covariance: covariance([1e-3, 1e-3, 1e-6, 1e-6, 1e-6, 1e-3]),
    },
  };
}

function odomToBase(s: PlanarState, stamp: { sec: number; nanosec: number }): unknown {
  return {
    transforms: [
      {
        header: { stamp, frame_id: DEMO_FRAME_IDS.odom },
        child_frame_id: DEMO_FRAME_IDS.base,
        transform: { translation: { x: s.x_m, y: s.y_m, z: 0 }, rotation: yawToQuaternion(s.yaw_rad) },
      },
    ],
  };
}

function cameraInfo(
  c: PinholeCamera,
  header: { stamp: { sec: number; nanosec: number }; frame_id: string },
): unknown {
  return {
    header,
    height: c.height,
    width: c.width,
    distortion_model: 'plumb_bob',
    d: new Float64Array(5),
    k: Float64Array.of(c.fx, 0, c.cx, 0, c.fy, c.cy, 0, 0, 1),
    r: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1),
    p: Float64Array.of(c.fx, 0, c.cx, 0, 0, c.fy, c.cy, 0, 0, 0, 1, 0),
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}
