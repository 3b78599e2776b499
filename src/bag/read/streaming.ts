/**
 * Sequential reading from the start of the file, for files without a usable summary (a recording cut off, a
 * truncated copy). Opening reads the whole file once to list topics and find damage; structural damage
 * (truncation, a corrupt chunk) then ends `messages()` with a BagError naming the file and byte offset, after
 * every message before it has been yielded (nothing says where the next record starts).
 */
import type { DecompressHandlers } from '@mcap/core';
import { BagError } from '../errors';
import { BaseBagReader, byLogTime, type BaseInit, type Channel, type Message, type Schema } from './base';
import { streamMcapRecords } from './mcap-stream';
import type { TopicStats } from './topic-stats';
import type { BagReaderOptions } from './types';

export class StreamingBagReader extends BaseBagReader {
  readonly indexed = false;
  readonly #damage: BagError | undefined;
  readonly #handlers: DecompressHandlers;

  private constructor(init: BaseInit, damage: BagError | undefined, handlers: DecompressHandlers) {
    super(init);
    this.#damage = damage;
    this.#handlers = handlers;
  }

  /** One pass over the file: header, schemas, channels, per-channel statistics, and the damage that ends it. */
  static async open(
    path: string,
    handlers: DecompressHandlers,
    options: BagReaderOptions,
  ): Promise<StreamingBagReader> {
    const schemas = new Map<number, Schema>();
    const channels = new Map<number, Channel>();
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
      else if (r.type === 'Channel' && !channels.has(r.id)) channels.set(r.id, r);
      else if (r.type === 'Message') countMessage(stats, r);
    }
    if (!header) {
      throw damage ?? new BagError('not an MCAP file (no header record)', path, 0n);
    }
    const init = { path, header, channels: channels.values(), schemas, stats, options };
    return new StreamingBagReader(init, damage, handlers);
  }

  override get damage(): BagError | undefined {
    return this.#damage;
  }

  async close(): Promise<void> {
    // Each pass opens and closes the file itself.
  }

  /** Sorted by log time within each chunk, chunks in file order. */
  protected async *rawMessages(): AsyncGenerator<Message> {
    let pending: Message[] = [];
    const flush = (): Message[] => {
      const out = byLogTime(pending);
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
}

function countMessage(stats: Map<number, TopicStats>, m: Message): void {
  const s = stats.get(m.channelId);
  if (!s) stats.set(m.channelId, { count: 1, firstNs: m.logTime, lastNs: m.logTime });
  else {
    s.count++;
    if (m.logTime < s.firstNs!) s.firstNs = m.logTime;
    if (m.logTime > s.lastNs!) s.lastNs = m.logTime;
  }
}
