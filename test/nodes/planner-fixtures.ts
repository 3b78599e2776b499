import { parseConfig, type SvnavConfig } from '../../src/config';
import type { CompressedImage, Image, Odometry } from '../../src/messages/ros';
import { nsToStamp, type TimeNs } from '../../src/messages/time';
import { PlannerNode } from '../../src/nodes/planner/node';
import { Planner } from '../../src/planner/planner';
import { InMemoryTransport, VirtualClock } from '../../src/transport/memory';
import type { Logger } from '../../src/transport/transport';
import { halves, rawImage } from '../camera/images';
import { loadTinyPlanner, tinyModelDir } from '../support/tiny-model';

/**
 * The real tiny model (seeded weights), built once per test process (test/support/tiny-model.ts) and shared by
 * every test file that asks for it; `sharedPlanner()` loads it once too (≈1.5 s with the warm-up plan).
 */
let shared: Promise<Planner> | undefined;

export { loadTinyPlanner, tinyModelDir };

export function sharedPlanner(): Promise<Planner> {
  shared ??= loadTinyPlanner();
  return shared;
}

/** Closes the shared planner (its inference worker) once every test file is done with it. */
export async function closeSharedPlanner(): Promise<void> {
  const p = shared;
  shared = undefined;
  if (p) await (await p).close();
}

export const MS = 1_000_000n;
export const S = 1_000_000_000n;
/** Camera stamps start here (a robot's clock is far from zero). */
export const T0 = 1_700_000_000n * S;

/**
 * A plan needs 3 complete chunks of 4 frames at 4 FPS (the release's 2 reference chunks + at least 1 history
 * chunk), aligned to the episode's first frame: frames 0…11 of an episode, 2.75 s of stamps (3 s of camera time).
 * Frame FIRST_PLAN_FRAME completes the third chunk and is the first plan's input frame; after it, every
 * CHUNK_FRAMES-th frame completes a chunk and plans again (≈1 Hz of camera time).
 */
export const CHUNK_FRAMES = 4;
export const FRAMES_TO_FIRST_PLAN = 3 * CHUNK_FRAMES;
export const FIRST_PLAN_FRAME = FRAMES_TO_FIRST_PLAN - 1;

const RED = [220, 30, 20] as const;
const BLUE = [10, 40, 230] as const;
const FRAME = halves(160, 90, RED, BLUE);

/** A 160×90 bgr8 camera frame stamped `stampNs`. */
export function cameraFrame(stampNs: TimeNs, options: Parameters<typeof rawImage>[3] = {}): Image {
  return rawImage(FRAME, 160, 90, { encoding: 'bgr8', ...options, stampNs });
}

export function odometry(stampNs: TimeNs, x_m: number, y_m: number, yaw_rad: number): Odometry {
  return {
    header: { stamp: nsToStamp(stampNs), frame_id: 'odom' },
    child_frame_id: 'base_link',
    pose: {
      pose: {
        position: { x: x_m, y: y_m, z: 0.3 },
        orientation: { x: 0, y: 0, z: Math.sin(yaw_rad / 2), w: Math.cos(yaw_rad / 2) },
      },
      covariance: new Array(36).fill(0),
    },
    twist: {
      twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
      covariance: new Array(36).fill(0),
    },
  };
}

export interface Rig {
  transport: InMemoryTransport;
  clock: VirtualClock;
  config: SvnavConfig;
  node: PlannerNode;
  logs: { level: keyof Logger; line: string }[];
  /** Moves virtual time to the frame's stamp, injects frame i (stamp T0 + i·250 ms) and waits for the node. */
  frame(i: number, image?: Image | CompressedImage): Promise<void>;
  /** `frame(i)` for i = from … to (inclusive), each processed before the next. */
  frames(from: number, to: number): Promise<void>;
  inject<T>(topic: string, type: string, message: T): void;
  on<T>(topic: string): T[];
}

/** A started PlannerNode on an in-memory transport with virtual time at T0; config overrides per section. */
export function startRig(planner: Planner, overrides: Record<string, Record<string, unknown>> = {}): Rig {
  const logs: Rig['logs'] = [];
  const log: Logger = {
    debug: (line) => logs.push({ level: 'debug', line }),
    info: (line) => logs.push({ level: 'info', line }),
    warn: (line) => logs.push({ level: 'warn', line }),
    error: (line) => logs.push({ level: 'error', line }),
  };
  const clock = new VirtualClock(T0);
  const transport = new InMemoryTransport(clock, log);
  const config = parseConfig({
    ...overrides,
    model: { allow_untrained: true, ...overrides.model },
    planner: { instruction: 'walk to the wooden door', ...overrides.planner },
  });
  const node = new PlannerNode(transport, config, planner);
  node.start();
  const frame = async (i: number, image?: Image | CompressedImage): Promise<void> => {
    const stampNs = T0 + BigInt(i) * 250n * MS;
    if (clock.now() < stampNs) clock.advanceTo(stampNs);
    transport.inject(config.camera.topic, config.camera.type, image ?? cameraFrame(stampNs));
    await node.idle();
  };
  return {
    transport,
    clock,
    config,
    node,
    logs,
    frame,
    async frames(from, to) {
      for (let i = from; i <= to; i++) await frame(i);
    },
    inject: (topic, type, message) => transport.inject(topic, type, message),
    on: <T>(topic: string) => transport.messagesOn<T>(topic).map((p) => p.message),
  };
}

/** Resolves once `condition` holds, checking after each turn of the event loop; fails after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
