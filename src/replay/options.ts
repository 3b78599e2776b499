import type { SvnavConfig } from '../config/schema';
import type { TimeNs } from '../messages/time';
import type { Planner } from '../planner/planner';
import type { Logger } from '../transport/transport';

/** The bag to replay and the bag to write. */
export interface ReplayFiles {
  readonly input: string;
  readonly output: string;
  /** The output may replace an existing bag at its path (one svnav wrote); default false. */
  readonly replace?: boolean;
}

/** What the robot is asked and how it is set up. */
export interface ReplayTask {
  readonly instruction: string;
  /** The robot's configuration (a file or the defaults); model.dir names the model unless `planner` is given. */
  readonly config: SvnavConfig;
  /** The configuration came from a file: its camera topic must be in the bag (otherwise it is detected). */
  readonly configFromFile?: boolean;
  /** Camera topic to replay, overriding the configuration. */
  readonly cameraTopic?: string;
}

/** How bag time relates to planner time. */
export interface ReplayTiming {
  /** Default 'deterministic' (virtual time, modelled latency); 'realtime' paces by wall time. */
  readonly mode?: ReplayMode;
  /** Deterministic mode: modelled planner latency in ms, or 'measured' (the warm-up plan). Default 350. */
  readonly latencyMs?: number | 'measured';
}

/** What the caller lends the replay or listens with. */
export interface ReplayHooks {
  /** An already loaded planner (kept open); otherwise one is loaded from config.model and closed at the end. */
  readonly planner?: Planner;
  /** Also serve every recorded message live (svnav replay --foxglove-port). */
  readonly live?: LiveView;
  /** Aborting ends reading; the output is still closed and evaluated. */
  readonly signal?: AbortSignal;
  /** Called after each camera frame has been handled. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly log?: Logger;
}

export type ReplayOptions = ReplayFiles & ReplayTask & ReplayTiming & ReplayHooks;

export type ReplayMode = 'deterministic' | 'realtime';

/** A live view that shows recorded messages as they are written (the Foxglove live server is one). */
export interface LiveView {
  advertise(topic: string, type: string): unknown;
  publish(topic: string, timeNs: TimeNs, message: unknown): unknown;
}

export interface ReplayProgress {
  readonly done_s: number;
  readonly total_s: number;
  readonly frames: number;
  readonly plans: number;
}
