import type { TimeNs } from '../../messages/time';
import type { CdrCodec } from '../codec';
import type { BagError } from '../errors';

export interface BagTopic {
  name: string;
  /** e.g. 'sensor_msgs/msg/CompressedImage' (the schema name; '' when the channel has no schema). */
  type: string;
  count: number;
  firstNs: TimeNs | undefined;
  lastNs: TimeNs | undefined;
  messageEncoding: string;
  schemaEncoding: string;
  offeredQosProfiles: string;
}

export interface BagMessage<T = unknown> {
  topic: string;
  type: string;
  logTimeNs: TimeNs;
  publishTimeNs: TimeNs;
  sequence: number;
  /** CDR bytes as stored. */
  data: Uint8Array;
  /** Decoded message (undefined when `decode: false`). */
  message: T;
}

export interface BagMessagesOptions {
  topics?: readonly string[];
  /** Inclusive bounds on log time. */
  startNs?: TimeNs;
  endNs?: TimeNs;
  /** Decode CDR into objects (default true). */
  decode?: boolean;
}

export interface BagReaderOptions {
  /** Receives per-message problems (decode failures, missing schemas); default console.warn. */
  onWarning?: (warning: BagError) => void;
  codec?: CdrCodec;
  /** Read by streaming even when the file has a usable summary (to check a file end to end). */
  forceStreaming?: boolean;
}

/**
 * An open rosbag2 MCAP file, read either through its summary (indexed) or from the start (streaming); both
 * list the same topics and yield the same messages from an intact file.
 */
export interface BagReader {
  readonly path: string;
  /** The MCAP header's profile ('ros2') and writing library. */
  readonly profile: string;
  readonly library: string;
  /** True when read through the summary; false when streamed (no usable summary). */
  readonly indexed: boolean;
  /** Streaming only: damage found while opening; `messages()` ends with it. */
  readonly damage: BagError | undefined;
  /** Indexed only: corrupt chunks that `messages()` skipped so far (one BagError each, with its offset). */
  readonly skippedChunks: readonly BagError[];
  topics(): BagTopic[];
  readonly messageCount: number;
  readonly startTimeNs: TimeNs | undefined;
  readonly endTimeNs: TimeNs | undefined;
  /** Messages in log-time order (streamed files: sorted within each chunk, chunks in file order). */
  messages<T = unknown>(options?: BagMessagesOptions): AsyncGenerator<BagMessage<T>>;
  close(): Promise<void>;
}
