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

export interface QosProfile {
  reliability: 'reliable' | 'best_effort';
  durability: 'volatile' | 'transient_local';
  depth: number;
}

/** Camera topics are best-effort depth 1 (sensor data); commands reliable; latched topics transient-local. */
export const Qos = {
  sensorData: { reliability: 'best_effort', durability: 'volatile', depth: 1 },
  commands: { reliability: 'reliable', durability: 'volatile', depth: 10 },
  latched: { reliability: 'reliable', durability: 'transient_local', depth: 1 },
} as const satisfies Record<string, QosProfile>;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
