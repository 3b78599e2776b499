/**
 * Writes rosbag2-compatible MCAP files (profile `ros2`, schemas `ros2msg`, messages `cdr`, zstd chunks,
 * Statistics and summary) without ROS.
 *
 * The file is written under a temporary name beside the target (`partialPath`), chunk by chunk as rosbag2
 * does: a process killed hard leaves that partial file, readable minus the last unfinished chunk (BagReader reads
 * it by streaming), and never a half-written file under the target's name. `close()` adds the summary
 * `ros2 bag play` needs and moves the file into place (never over an existing file unless `replace` is set, see
 * io/output.ts). `close()` is idempotent and waits for queued writes, so a caller can hook it to a signal.
 * `discard()` abandons the recording and removes the partial file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { commitFile, discardTemporary, temporaryPathFor } from '../io/output';
import { LIBRARY_IDENTIFIER, McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import * as zstd from '@foxglove/wasm-zstd';
import { CdrCodec } from './codec';
import { BagError, describeError } from './errors';
import { PACKAGE_NAME, schemaName } from './schemas';
import type { TimeNs } from '../messages/time';

export interface BagWriterOptions {
  /** Codec (and through it the message definitions) to use; default: the package's defaults. */
  codec?: CdrCodec;
  /** Uncompressed chunk size in bytes; at most this much is lost if the process dies without close(). Default 512 KiB. */
  chunkSize?: number;
  /** Chunk compression; default 'zstd'. */
  compression?: 'zstd' | 'none';
  /** zstd level; default 3 (rosbag2's zstd_fast preset uses 1). */
  zstdLevel?: number;
  /** `offered_qos_profiles` channel metadata per topic (rosbag2 YAML); topics not listed get ''. */
  qosProfiles?: Readonly<Record<string, string>>;
  /** close() may replace an existing file at the path (checked to be a bag we wrote); default false. */
  replace?: boolean;
}

const DEFAULT_CHUNK_SIZE = 512 * 1024;

export class BagWriter {
  /** Where the finished bag goes. */
  readonly path: string;
  /** Where it is written until close() (the same directory). */
  readonly partialPath: string;
  readonly #replace: boolean;
  readonly #handle: FileHandle;
  readonly #mcap: McapWriter;
  readonly #codec: CdrCodec;
  readonly #qos: Readonly<Record<string, string>>;
  readonly #channels = new Map<string, { id: number; type: string; schema: string; sequence: number }>();
  readonly #schemaIds = new Map<string, number>();
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #failure: BagError | undefined;
  #messageCount = 0;

  private constructor(
    path: string,
    partialPath: string,
    handle: FileHandle,
    mcap: McapWriter,
    options: BagWriterOptions,
  ) {
    this.path = path;
    this.partialPath = partialPath;
    this.#replace = options.replace ?? false;
    this.#handle = handle;
    this.#mcap = mcap;
    this.#codec = options.codec ?? new CdrCodec();
    this.#qos = options.qosProfiles ?? {};
  }

  /** Starts a bag for `path` in a new partial file beside it and writes the MCAP header. */
  static async create(path: string, options: BagWriterOptions = {}): Promise<BagWriter> {
    const compression = options.compression ?? 'zstd';
    const level = options.zstdLevel ?? 3;
    if (compression === 'zstd') await zstd.isLoaded;
    const partialPath = temporaryPathFor(path);
    let handle: FileHandle;
    try {
      handle = await open(partialPath, 'wx');
    } catch (err) {
      throw new BagError(`cannot create the output: ${describeError(err)}`, path, undefined, { cause: err });
    }
    const mcap = new McapWriter({
      writable: new FileHandleWritable(handle),
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      // rosbag2 numbers channels from 1; id 0 is legal but some tools treat it as "unset".
      startChannelId: 1,
      compressChunk:
        compression === 'zstd'
          ? (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, level) })
          : undefined,
    });
    try {
      await mcap.start({ profile: 'ros2', library: `${PACKAGE_NAME} bag writer; ${LIBRARY_IDENTIFIER}` });
    } catch (err) {
      await handle.close();
      discardTemporary(partialPath);
      throw new BagError(`cannot start MCAP file: ${describeError(err)}`, path, undefined, { cause: err });
    }
    return new BagWriter(path, partialPath, handle, mcap, options);
  }

  get messageCount(): number {
    return this.#messageCount;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Encodes `message` as `type` (e.g. 'geometry_msgs/msg/Twist') and appends it to `topic`. Calls are queued,
   * so they need not be awaited one by one; the returned promise settles when this message is written.
   */
  write(
    topic: string,
    type: string,
    logTimeNs: TimeNs,
    message: unknown,
    publishTimeNs: TimeNs = logTimeNs,
  ): Promise<void> {
    if (this.#closing) return Promise.reject(new BagError(`write to ${topic} after close()`, this.path));
    if (logTimeNs < 0n)
      return Promise.reject(new BagError(`negative log time ${logTimeNs} on ${topic}`, this.path));
    // Encode now, so that a bad message fails its own call and not a later one.
    let channel;
    let data;
    try {
      channel = this.#channelFor(topic, type);
      data = this.#codec.encodeWithSchema(type, channel.schema, message);
    } catch (err) {
      return Promise.reject(err instanceof BagError ? err : new BagError(describeError(err), this.path));
    }
    const sequence = channel.sequence++;
    this.#messageCount++;
    return this.#enqueue(async () => {
      await this.#mcap.addMessage({
        channelId: channel.id,
        sequence,
        logTime: logTimeNs,
        publishTime: publishTimeNs,
        data,
      });
    }, `message on ${topic} at ${logTimeNs} ns`);
  }

  /**
   * Writes the last chunk, the summary (Statistics, indexes) and the footer, then moves the file into place;
   * later calls return the same promise. If any of it fails (a full disk) the partial file is removed: a bag
   * without its end is not left behind as if it were complete.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        try {
          await this.#enqueue(() => this.#mcap.end(), 'summary');
        } finally {
          await this.#handle.close();
        }
      } catch (err) {
        discardTemporary(this.partialPath);
        throw err;
      }
      // A finished bag that cannot take its name (one appeared there meanwhile) stays at partialPath, named.
      commitFile(this.partialPath, this.path, 'mcap', this.#replace);
    })();
    return this.#closing;
  }

  /** Abandons the bag: stops writing and removes the partial file (nothing appears at `path`). Idempotent. */
  discard(): Promise<void> {
    this.#closing ??= (async () => {
      this.#failure ??= new BagError('recording discarded', this.path);
      await this.#queue;
      await this.#handle.close().catch(() => undefined);
      discardTemporary(this.partialPath);
    })();
    return this.#closing;
  }

  #channelFor(topic: string, type: string): { id: number; type: string; schema: string; sequence: number } {
    const existing = this.#channels.get(topic);
    if (existing) {
      if (existing.type !== schemaName(type)) {
        throw new BagError(
          `topic ${topic} has type ${existing.type}, cannot write ${schemaName(type)}`,
          this.path,
        );
      }
      return existing;
    }
    const name = schemaName(type);
    const schema = this.#codec.schemaOf(name);
    // Registration is queued ahead of the topic's first message (McapWriter allows one call at a time); the id
    // is filled in when it runs. A failure here is kept in #failure and rejects every later write and close().
    const channel = { id: -1, type: name, schema, sequence: 0 };
    this.#channels.set(topic, channel);
    void this.#enqueue(async () => {
      let schemaId = this.#schemaIds.get(name);
      if (schemaId === undefined) {
        schemaId = await this.#mcap.registerSchema({
          name,
          encoding: 'ros2msg',
          data: new TextEncoder().encode(schema),
        });
        this.#schemaIds.set(name, schemaId);
      }
      channel.id = await this.#mcap.registerChannel({
        topic,
        schemaId,
        messageEncoding: 'cdr',
        metadata: new Map([['offered_qos_profiles', this.#qos[topic] ?? '']]),
      });
    }, `channel ${topic}`).catch(() => undefined);
    return channel;
  }

  #enqueue(op: () => Promise<void>, what: string): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await op();
      } catch (err) {
        this.#failure = new BagError(`writing ${what} failed: ${describeError(err)}`, this.path, undefined, {
          cause: err,
        });
        throw this.#failure;
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
