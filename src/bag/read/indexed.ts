/**
 * Random access through the file's summary. A corrupt chunk is skipped (the summary says where the next one
 * starts): it is reported through `onWarning` and listed in `skippedChunks`, and every other chunk is read.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  McapIndexedReader,
  McapRecordBuilder,
  McapStreamReader,
  type DecompressHandlers,
  type TypedMcapRecords,
} from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { BagError, describeError } from '../errors';
import { BaseBagReader, byLogTime, type BaseInit, type Message } from './base';
import { indexedTopicStats } from './topic-stats';
import type { BagMessagesOptions, BagReaderOptions } from './types';

type ChunkIndex = TypedMcapRecords['ChunkIndex'];

export class IndexedBagReader extends BaseBagReader {
  readonly indexed = true;
  readonly #reader: McapIndexedReader;
  readonly #handle: FileHandle;
  readonly #readable: TrackingReadable;
  readonly #handlers: DecompressHandlers;
  readonly #skippedChunks: BagError[] = [];
  #chunkPreamble: Uint8Array | undefined;

  private constructor(
    init: BaseInit,
    file: { reader: McapIndexedReader; handle: FileHandle; readable: TrackingReadable },
    handlers: DecompressHandlers,
  ) {
    super(init);
    this.#reader = file.reader;
    this.#handle = file.handle;
    this.#readable = file.readable;
    this.#handlers = handlers;
  }

  /**
   * Reads the summary of the file open at `handle`; the reader then owns the handle. Rejects (leaving the handle
   * open) when the file has no usable summary.
   */
  static async open(
    path: string,
    handle: FileHandle,
    handlers: DecompressHandlers,
    options: BagReaderOptions,
  ): Promise<IndexedBagReader> {
    const readable = new TrackingReadable(new FileHandleReadable(handle));
    const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: handlers });
    const stats = await indexedTopicStats(reader, readable);
    return new IndexedBagReader(
      {
        path,
        header: reader.header,
        channels: reader.channelsById.values(),
        schemas: reader.schemasById,
        stats,
        options,
      },
      { reader, handle, readable },
      handlers,
    );
  }

  override get skippedChunks(): readonly BagError[] {
    return this.#skippedChunks;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }

  /**
   * Chunk by chunk, so that one corrupt chunk costs only its own messages. Chunks whose time ranges overlap are
   * read together and merged by log time (stable: file order among equal times).
   */
  protected async *rawMessages(options: BagMessagesOptions): AsyncGenerator<Message> {
    if (this.#reader.chunkIndexes.length === 0) {
      yield* this.#unchunkedMessages(options);
      return;
    }
    const chunks = [...this.#reader.chunkIndexes].sort((a, b) =>
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
    return group.length === 1 ? messages : byLogTime(messages);
  }

  /** The messages of one chunk, or none (with a warning) when it cannot be read. */
  async #readChunk(c: ChunkIndex): Promise<Message[]> {
    try {
      const bytes = await this.#readable.read(c.chunkStartOffset, c.chunkLength);
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
      this.warn(error);
      return [];
    }
  }

  /** Schema and Channel records of the summary, to read any one chunk on its own. */
  #preamble(): Uint8Array {
    if (!this.#chunkPreamble) {
      const builder = new McapRecordBuilder();
      for (const schema of this.#reader.schemasById.values()) builder.writeSchema(schema);
      for (const channel of this.#reader.channelsById.values()) builder.writeChannel(channel);
      this.#chunkPreamble = builder.buffer.slice();
    }
    return this.#chunkPreamble;
  }

  /** A file whose messages are not in chunks: @mcap's own indexed reading, failures named at the last offset. */
  async *#unchunkedMessages(options: BagMessagesOptions): AsyncGenerator<Message> {
    try {
      yield* this.#reader.readMessages({
        topics: options.topics,
        startTime: options.startNs,
        endTime: options.endNs,
      });
    } catch (err) {
      throw new BagError(
        `unreadable MCAP data: ${describeError(err)}`,
        this.path,
        this.#readable.lastReadOffset,
        {
          cause: err,
        },
      );
    }
  }
}

/** Remembers the offset of the last read, so that a failure can name where in the file it happened. */
class TrackingReadable {
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
