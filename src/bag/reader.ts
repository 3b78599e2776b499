/**
 * Reads rosbag2 MCAP files without ROS: indexed (random access through the summary) when the file has a usable
 * summary, otherwise by streaming the file from the start (a recording cut off, a truncated copy).
 *
 * Failure policy: in an indexed file a corrupt chunk is skipped (the summary says where the next one starts):
 * it is reported through `onWarning` and listed in `skippedChunks`, and every other chunk is read. In a streamed
 * file structural damage (truncation, a corrupt chunk) ends `messages()` with a BagError naming the file and byte
 * offset, after every message before it has been yielded (nothing says where the next record starts). A message
 * that cannot be decoded, or a topic without a usable schema, is reported through `onWarning` (default:
 * console.warn) and skipped.
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  McapIndexedReader,
  McapRecordBuilder,
  McapStreamReader,
  type DecompressHandlers,
  type TypedMcapRecords,
} from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { CdrCodec } from './codec';
import { BagError, describeError } from './errors';
import { streamMcapRecords } from './mcap-stream';
import { indexedTopicStats, type TopicStats } from './topic-stats';
import type { TimeNs } from '../messages/time';

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

interface ChannelInfo {
  topic: string;
  type: string;
  schema: string | undefined;
  problem: string | undefined;
  messageEncoding: string;
  schemaEncoding: string;
  qos: string;
}

type Schema = TypedMcapRecords['Schema'];
type Channel = TypedMcapRecords['Channel'];
type Message = TypedMcapRecords['Message'];
type ChunkIndex = TypedMcapRecords['ChunkIndex'];

export class BagReader {
  readonly path: string;
  readonly profile: string;
  readonly library: string;
  /** True when read through the summary; false when streamed (no usable summary). */
  readonly indexed: boolean;
  /** Damage found while opening a streamed file; `messages()` ends with it. */
  readonly damage: BagError | undefined;
  readonly #channels: Map<number, ChannelInfo>;
  readonly #stats: Map<number, TopicStats>;
  readonly #indexed:
    { reader: McapIndexedReader; handle: FileHandle; readable: TrackingReadable } | undefined;
  readonly #handlers: DecompressHandlers;
  readonly #codec: CdrCodec;
  readonly #warn: (warning: BagError) => void;
  readonly #warnedTopics = new Set<string>();
  readonly #skippedChunks: BagError[] = [];
  #chunkPreamble: Uint8Array | undefined;

  private constructor(init: {
    path: string;
    header: { profile: string; library: string };
    channels: Map<number, ChannelInfo>;
    stats: Map<number, TopicStats>;
    indexed?: { reader: McapIndexedReader; handle: FileHandle; readable: TrackingReadable };
    damage?: BagError;
    handlers: DecompressHandlers;
    options: BagReaderOptions;
  }) {
    this.path = init.path;
    this.profile = init.header.profile;
    this.library = init.header.library;
    this.#channels = init.channels;
    this.#stats = init.stats;
    this.#indexed = init.indexed;
    this.indexed = init.indexed !== undefined;
    this.damage = init.damage;
    this.#handlers = init.handlers;
    this.#codec = init.options.codec ?? new CdrCodec();
    this.#warn = init.options.onWarning ?? ((w) => console.warn(`warning: ${w.message}`));
  }

  static async open(path: string, options: BagReaderOptions = {}): Promise<BagReader> {
    await checkBagPath(path);
    const handlers = await loadDecompressHandlers();
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw new BagError(`cannot open bag: ${describeError(err)}`, path, undefined, { cause: err });
    }
    try {
      checkMagic(path, await readPrefix(handle));
    } catch (err) {
      await handle.close();
      throw err;
    }
    const readable = new TrackingReadable(new FileHandleReadable(handle));
    try {
      if (options.forceStreaming) throw new Error('streaming requested');
      const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: handlers });
      const channels = channelInfos(reader.channelsById.values(), reader.schemasById);
      const stats = await indexedTopicStats(reader, readable);
      return new BagReader({
        path,
        header: reader.header,
        channels,
        stats,
        indexed: { reader, handle, readable },
        handlers,
        options,
      });
    } catch {
      // No usable summary (or not indexed): stream the file instead; that pass also finds any damage.
      await handle.close();
    }
    return await BagReader.#openStreamed(path, handlers, options);
  }

  static async #openStreamed(
    path: string,
    handlers: DecompressHandlers,
    options: BagReaderOptions,
  ): Promise<BagReader> {
    const schemas = new Map<number, Schema>();
    const channelRecords: Channel[] = [];
    const stats = new Map<number, TopicStats>();
    let header: { profile: string; library: string } | undefined;
    let damage: BagError | undefined;
    for await (const item of streamMcapRecords(path, handlers)) {
      if (item.kind === 'damage') {
        damage = item.error;
        break;
      }
      const r = item.record;
      if (r.type === 'Header') header = r;
      else if (r.type === 'Schema') schemas.set(r.id, r);
      else if (r.type === 'Channel' && !channelRecords.some((c) => c.id === r.id)) channelRecords.push(r);
      else if (r.type === 'Message') {
        const s = stats.get(r.channelId);
        if (!s) stats.set(r.channelId, { count: 1, firstNs: r.logTime, lastNs: r.logTime });
        else {
          s.count++;
          if (r.logTime < s.firstNs!) s.firstNs = r.logTime;
          if (r.logTime > s.lastNs!) s.lastNs = r.logTime;
        }
      }
    }
    if (!header) {
      throw damage ?? new BagError('not an MCAP file (no header record)', path, 0n);
    }
    const channels = channelInfos(channelRecords, schemas);
    return new BagReader({ path, header, channels, stats, damage, handlers, options });
  }

  topics(): BagTopic[] {
    return [...this.#channels.entries()].map(([id, c]) => {
      const s = this.#stats.get(id);
      return {
        name: c.topic,
        type: c.type,
        count: s?.count ?? 0,
        firstNs: s?.firstNs,
        lastNs: s?.lastNs,
        messageEncoding: c.messageEncoding,
        schemaEncoding: c.schemaEncoding,
        offeredQosProfiles: c.qos,
      };
    });
  }

  get messageCount(): number {
    return this.topics().reduce((n, t) => n + t.count, 0);
  }

  get startTimeNs(): TimeNs | undefined {
    return this.#extreme(
      (t) => t.firstNs,
      (a, b) => a < b,
    );
  }

  get endTimeNs(): TimeNs | undefined {
    return this.#extreme(
      (t) => t.lastNs,
      (a, b) => a > b,
    );
  }

  /** Messages in log-time order (streamed files: sorted within each chunk, chunks in file order). */
  async *messages<T = unknown>(options: BagMessagesOptions = {}): AsyncGenerator<BagMessage<T>> {
    const { topics, startNs, endNs, decode = true } = options;
    const wanted = (m: Message): boolean => {
      const c = this.#channels.get(m.channelId);
      if (!c || (topics && !topics.includes(c.topic))) return false;
      return (startNs === undefined || m.logTime >= startNs) && (endNs === undefined || m.logTime <= endNs);
    };
    for await (const m of this.#indexed ? this.#indexedMessages(options) : this.#streamedMessages()) {
      if (!wanted(m)) continue;
      const out = this.#toBagMessage<T>(m, decode);
      if (out) yield out;
    }
  }

  async close(): Promise<void> {
    await this.#indexed?.handle.close();
  }

  /** Corrupt chunks of an indexed file that `messages()` skipped so far (one BagError each, with its offset). */
  get skippedChunks(): readonly BagError[] {
    return this.#skippedChunks;
  }

  /**
   * Indexed reading chunk by chunk, so that one corrupt chunk costs only its own messages. Chunks whose time
   * ranges overlap are read together and merged by log time (stable: file order among equal times).
   */
  async *#indexedMessages(options: BagMessagesOptions): AsyncGenerator<Message> {
    const { reader } = this.#indexed!;
    if (reader.chunkIndexes.length === 0) {
      yield* this.#indexedMessagesUnchunked(options);
      return;
    }
    const chunks = [...reader.chunkIndexes].sort((a, b) =>
      a.messageStartTime !== b.messageStartTime
        ? a.messageStartTime < b.messageStartTime
          ? -1
          : 1
        : Number(a.chunkStartOffset - b.chunkStartOffset),
    );
    let group: ChunkIndex[] = [];
    let groupEnd = -1n;
    for (const c of chunks) {
      if (options.endNs !== undefined && c.messageStartTime > options.endNs) break;
      if (options.startNs !== undefined && c.messageEndTime < options.startNs) continue;
      if (group.length > 0 && c.messageStartTime > groupEnd) {
        yield* await this.#readChunkGroup(group);
        group = [];
      }
      group.push(c);
      if (c.messageEndTime > groupEnd) groupEnd = c.messageEndTime;
    }
    if (group.length > 0) yield* await this.#readChunkGroup(group);
  }

  async #readChunkGroup(group: readonly ChunkIndex[]): Promise<Message[]> {
    const messages: Message[] = [];
    for (const c of group) messages.push(...(await this.#readChunk(c)));
    if (group.length === 1) return messages;
    return messages.sort((a, b) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0));
  }

  /** The messages of one chunk, or none (with a warning) when it cannot be read. */
  async #readChunk(c: ChunkIndex): Promise<Message[]> {
    const { readable } = this.#indexed!;
    try {
      const bytes = await readable.read(c.chunkStartOffset, c.chunkLength);
      const stream = new McapStreamReader({ noMagicPrefix: true, decompressHandlers: this.#handlers });
      // The chunk's messages may refer to channels recorded in an earlier chunk: announce them all first.
      stream.append(this.#preamble());
      stream.append(bytes);
      const out: Message[] = [];
      for (let r = stream.nextRecord(); r; r = stream.nextRecord()) if (r.type === 'Message') out.push(r);
      return out;
    } catch (err) {
      const error = new BagError(
        `corrupt chunk (log time ${c.messageStartTime}–${c.messageEndTime} ns): ${describeError(err)}; ` +
          'its messages are skipped, the rest of the file is read',
        this.path,
        c.chunkStartOffset,
        { cause: err },
      );
      this.#skippedChunks.push(error);
      this.#warn(error);
      return [];
    }
  }

  /** Schema and Channel records of the summary, to read any one chunk on its own. */
  #preamble(): Uint8Array {
    if (!this.#chunkPreamble) {
      const { reader } = this.#indexed!;
      const builder = new McapRecordBuilder();
      for (const schema of reader.schemasById.values()) builder.writeSchema(schema);
      for (const channel of reader.channelsById.values()) builder.writeChannel(channel);
      this.#chunkPreamble = builder.buffer.slice();
    }
    return this.#chunkPreamble;
  }

  async *#indexedMessagesUnchunked(options: BagMessagesOptions): AsyncGenerator<Message> {
    const { reader, readable } = this.#indexed!;
    try {
      yield* reader.readMessages({
        topics: options.topics,
        startTime: options.startNs,
        endTime: options.endNs,
      });
    } catch (err) {
      throw new BagError(`unreadable MCAP data: ${describeError(err)}`, this.path, readable.lastReadOffset, {
        cause: err,
      });
    }
  }

  async *#streamedMessages(): AsyncGenerator<Message> {
    let pending: Message[] = [];
    // Stable sort: equal log times keep file order.
    const flush = (): Message[] => {
      const out = pending.sort((a, b) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0));
      pending = [];
      return out;
    };
    for await (const item of streamMcapRecords(this.path, this.#handlers)) {
      if (item.kind === 'damage') {
        yield* flush();
        throw item.error;
      }
      const r = item.record;
      if (r.type === 'Message') pending.push(r);
      else if (r.type === 'Chunk') yield* flush();
    }
    yield* flush();
  }

  #toBagMessage<T>(m: Message, decode: boolean): BagMessage<T> | undefined {
    const c = this.#channels.get(m.channelId)!;
    const base = {
      topic: c.topic,
      type: c.type,
      logTimeNs: m.logTime,
      publishTimeNs: m.publishTime,
      sequence: m.sequence,
      data: m.data,
    };
    if (!decode) return { ...base, message: undefined as T };
    if (c.problem !== undefined) {
      if (!this.#warnedTopics.has(c.topic)) {
        this.#warnedTopics.add(c.topic);
        this.#warn(new BagError(`topic ${c.topic}: ${c.problem}; its messages are skipped`, this.path));
      }
      return undefined;
    }
    try {
      return { ...base, message: this.#codec.decodeWithSchema<T>(c.type, c.schema!, m.data) };
    } catch (err) {
      this.#warn(
        new BagError(
          `topic ${c.topic} at log time ${m.logTime} ns: ${describeError(err)}; message skipped`,
          this.path,
        ),
      );
      return undefined;
    }
  }

  #extreme(
    pick: (t: BagTopic) => TimeNs | undefined,
    better: (a: TimeNs, b: TimeNs) => boolean,
  ): TimeNs | undefined {
    let best: TimeNs | undefined;
    for (const t of this.topics()) {
      const v = pick(t);
      if (v !== undefined && (best === undefined || better(v, best))) best = v;
    }
    return best;
  }
}

/** A directory (a rosbag2 bag directory, say) is refused with the file to open instead. */
async function checkBagPath(path: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(path)).isDirectory()) return;
    entries = await readdir(path);
  } catch {
    return; // open() reports a missing or unreadable file.
  }
  const mcaps = entries.filter((e) => e.endsWith('.mcap')).sort();
  const db3 = entries.filter((e) => e.endsWith('.db3'));
  const what = entries.includes('metadata.yaml') ? 'a rosbag2 bag directory' : 'a directory';
  const hint =
    mcaps.length > 0
      ? `open its MCAP file${mcaps.length > 1 ? 's one by one' : ''}: ${mcaps.map((m) => join(path, m)).join(', ')}`
      : db3.length > 0
        ? `it holds SQLite storage (${db3.join(', ')}); ${CONVERT_HINT}`
        : 'it holds no .mcap file';
  throw new BagError(`is ${what}, not an MCAP file; ${hint}`, path);
}

const CONVERT_HINT =
  'svnav reads rosbag2 MCAP: convert it with `ros2 bag convert` (storage_id: mcap) or `rosbags-convert`';

async function readPrefix(handle: FileHandle): Promise<Buffer> {
  const buffer = Buffer.alloc(16);
  const { bytesRead } = await handle.read(buffer, 0, 16, 0);
  return buffer.subarray(0, bytesRead);
}

/** Names the formats people hand us instead of MCAP, rather than only saying the magic is wrong. */
function checkMagic(path: string, prefix: Buffer): void {
  const text = prefix.toString('latin1');
  if (prefix.length === 0) throw new BagError('is empty (0 bytes), not an MCAP file', path, 0n);
  if (text.startsWith('\x89MCAP0\r\n')) return;
  if (text.startsWith('#ROSBAG'))
    throw new BagError(`is a ROS 1 bag, not ROS 2 MCAP; ${CONVERT_HINT}`, path, 0n);
  if (text.startsWith('SQLite format 3')) {
    throw new BagError(`is a SQLite database (a rosbag2 .db3 bag?), not MCAP; ${CONVERT_HINT}`, path, 0n);
  }
  throw new BagError('is not an MCAP file (it does not start with the MCAP magic bytes)', path, 0n);
}

function channelInfos(
  channels: Iterable<Channel>,
  schemas: ReadonlyMap<number, Schema>,
): Map<number, ChannelInfo> {
  const out = new Map<number, ChannelInfo>();
  // By channel id, so that indexed and streamed reading list topics alike.
  for (const ch of [...channels].sort((a, b) => a.id - b.id)) {
    const schema = schemas.get(ch.schemaId);
    let problem: string | undefined;
    if (!schema) problem = `no schema record (schema id ${ch.schemaId})`;
    else if (schema.encoding !== 'ros2msg')
      problem = `schema ${schema.name} has encoding '${schema.encoding}', not ros2msg`;
    else if (ch.messageEncoding !== 'cdr') problem = `message encoding '${ch.messageEncoding}' is not cdr`;
    else if (schema.data.byteLength === 0)
      problem = `schema ${schema.name} is empty (no definition of the type)`;
    out.set(ch.id, {
      topic: ch.topic,
      type: schema?.name ?? '',
      schema: schema ? new TextDecoder().decode(schema.data) : undefined,
      problem,
      messageEncoding: ch.messageEncoding,
      schemaEncoding: schema?.encoding ?? '',
      qos: ch.metadata.get('offered_qos_profiles') ?? '',
    });
  }
  return out;
}

/** Remembers the offset of the last read, so that a failure can name where in the file it happened. */
export class TrackingReadable {
  lastReadOffset: bigint | undefined;
  readonly #inner: FileHandleReadable;

  constructor(inner: FileHandleReadable) {
    this.#inner = inner;
  }

  size(): Promise<bigint> {
    return this.#inner.size();
  }

  read(offset: bigint, length: bigint): Promise<Uint8Array> {
    this.lastReadOffset = offset;
    return this.#inner.read(offset, length);
  }
}
