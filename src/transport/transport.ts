import type { Observable } from 'rxjs';
import type { SvnavConfig } from '../config/schema';
import type { TimeNs } from '../messages/time';

/**
 * The one seam between node logic and the outside world. The rclnodejs adapter (robot), the in-memory
 * transport (tests) and the bag transport (replay) implement it; node code never imports any of them.
 */
export interface Transport {
  /** Human-readable name used in logs ("rclnodejs", "memory", "bag"). */
  readonly name: string;
  readonly clock: Clock;
  /** A hot stream of messages of `type` on `topic`; unsubscribing releases the underlying subscription. */
  subscribe<T>(topic: string, type: string, qos?: QosProfile): Observable<T>;
  /** Publishers are created once and reused; `close()` releases them. */
  createPublisher<T>(topic: string, type: string, qos?: QosProfile): Publisher<T>;
  readonly log: Logger;
  /**
   * Where the transport has run-time parameters (ROS 2): `handler` sees each validated change (`ros2 param
   * set`) and applies it, or returns why it cannot (e.g. "restart to apply"); then the change is refused. With no
   * handler every change is refused. One handler per transport; a later call replaces it.
   */
  onParameterChange?(handler: ParameterChangeHandler): void;
  /** Releases everything the transport created. Idempotent. */
  close(): Promise<void>;
}

/** Applies `next` (the whole config after a change of the dotted `changed` keys); returns a refusal or undefined. */
export type ParameterChangeHandler = (next: SvnavConfig, changed: readonly string[]) => string | undefined;

export interface Publisher<T> {
  readonly topic: string;
  publish(message: T): void;
  close(): void;
}

/** The clock nodes run on: wall time on a robot, the bag's time in replay, virtual time in tests. */
export interface Clock {
  now(): TimeNs;
  /** Emits the clock time at every tick of a fixed period, first tick one period after subscription. */
  interval(periodNs: TimeNs): Observable<TimeNs>;
}

/**
 * The one QoS description of the package: what nodes ask their transport for, and what a bag records as a
 * topic's `offered_qos_profiles` (src/bag/qos.ts writes it as rosbag2's YAML). History is always keep-last.
 */
export interface QosProfile {
  reliability: 'reliable' | 'best_effort';
  durability: 'volatile' | 'transient_local';
  depth: number;
}

/**
 * The profiles in use. Which topic gets which, and why, is the QoS table in README.md.
 *
 * sensorData is ROS's own sensor-data profile (rmw_qos_profile_sensor_data: best effort, depth 5), what the
 * Go2 bridge's cameras and `ros2 bag play` offer. Depth 5 rather than 1 because a reader's queue is what
 * covers a busy JavaScript thread: with depth 1 a 15 Hz 720p frame arriving while the previous one was still
 * being deserialised overwrote it, and 10 % of the stream never reached the camera relay on a loaded 2-core
 * machine; the 4 FPS sampler picks frames by stamp, so a queued frame is never used late.
 *
 * latestOnly is for inputs that matter only when fresh (plans and heartbeats at the controller): a queued old
 * sample is worthless, and a best-effort volatile reader matches reliable, best-effort, volatile and
 * transient-local writers alike, and takes no history from a latched one.
 *
 * latched is transient-local depth 1: a reader that joins late gets the last message at once. Only state that
 * is safe to receive late is latched (see the QoS table); a transient-local reader gets nothing from a volatile
 * writer (DDS calls the pair incompatible), so readers of latched topics must know the writer latches.
 */
export const Qos = {
  sensorData: { reliability: 'best_effort', durability: 'volatile', depth: 5 },
  latestOnly: { reliability: 'best_effort', durability: 'volatile', depth: 1 },
  commands: { reliability: 'reliable', durability: 'volatile', depth: 10 },
  latched: { reliability: 'reliable', durability: 'transient_local', depth: 1 },
} as const satisfies Record<string, QosProfile>;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
