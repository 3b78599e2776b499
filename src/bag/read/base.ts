/**
 * What the indexed and the streaming reader share: the channel table, per-topic statistics and the decoding of
 * raw MCAP messages into BagMessages. Each reader supplies only how raw messages come off the file.
 *
 * A message that cannot be decoded, or a topic without a usable schema, is reported through `onWarning`
 * (default: console.warn) and skipped.
 */
import type { TypedMcapRecords } from '@mcap/core';
import type { TimeNs } from '../../messages/time';
import { CdrCodec } from '../codec';
import { BagError, describeError } from '../errors';
import type { TopicStats } from './topic-stats';
import type { BagMessage, BagMessagesOptions, BagReader, BagReaderOptions, BagTopic } from './types';

export type Schema = TypedMcapRecords['Schema'];
export type Channel = TypedMcapRecords['Channel'];
export type Message = TypedMcapRecords['Message'];

interface ChannelInfo {
  topic: string;
  type: string;
  schema: string | undefined;
  problem: string | undefined;
  messageEncoding: string;
  schemaEncoding: string;
  qos: string;
}

export interface BaseInit {
  readonly path: string;
  readonly header: { readonly profile: string; readonly library: string };
  readonly channels: Iterable<Channel>;
  readonly schemas: ReadonlyMap<number, Schema>;
  readonly stats: ReadonlyMap<number, TopicStats>;
  readonly options: BagReaderOptions;
}

export abstract class BaseBagReader implements BagReader {
  readonly path: string;
  readonly profile: string;
  readonly library: string;
  abstract readonly indexed: boolean;
  readonly #channels: Map<number, ChannelInfo>;
  readonly #stats: ReadonlyMap<number, TopicStats>;
  readonly #codec: CdrCodec;
  readonly #warnedTopics = new Set<string>();
  protected readonly warn: (warning: BagError) => void;

  protected constructor(init: BaseInit) {
    this.path = init.path;
    this.profile = init.header.profile;
    this.library = init.header.library;
    this.#channels = channelInfos(init.channels, init.schemas);
    this.#stats = init.stats;
    this.#codec = init.options.codec ?? new CdrCodec();
    this.warn = init.options.onWarning ?? ((w) => console.warn(`warning: ${w.message}`));
  }

  get damage(): BagError | undefined {
    return undefined;
  }

  get skippedChunks(): readonly BagError[] {
    return [];
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
    return extreme(
      this.topics(),
      (t) => t.firstNs,
      (a, b) => a < b,
    );
  }

  get endTimeNs(): TimeNs | undefined {
    return extreme(
      this.topics(),
      (t) => t.lastNs,
      (a, b) => a > b,
    );
  }

  async *messages<T = unknown>(options: BagMessagesOptions = {}): AsyncGenerator<BagMessage<T>> {
    const { topics, startNs, endNs, decode = true } = options;
    const wanted = (m: Message): boolean => {
      const c = this.#channels.get(m.channelId);
      if (!c || (topics && !topics.includes(c.topic))) return false;
      return (startNs === undefined || m.logTime >= startNs) && (endNs === undefined || m.logTime <= endNs);
    };
    for await (const m of this.rawMessages(options)) {
      if (!wanted(m)) continue;
      const out = this.#toBagMessage<T>(m, decode);
      if (out) yield out;
    }
  }

  abstract close(): Promise<void>;

  /** The file's messages in the order `messages()` promises; may yield more than `options` asks for. */
  protected abstract rawMessages(options: BagMessagesOptions): AsyncIterable<Message>;

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
        this.warn(new BagError(`topic ${c.topic}: ${c.problem}; its messages are skipped`, this.path));
      }
      return undefined;
    }
    try {
      return { ...base, message: this.#codec.decodeWithSchema<T>(c.type, c.schema!, m.data) };
    } catch (err) {
      this.warn(
        new BagError(
          `topic ${c.topic} at log time ${m.logTime} ns: ${describeError(err)}; message skipped`,
          this.path,
        ),
      );
      return undefined;
    }
  }
}

/** Stable sort by log time: equal times keep file order. */
export function byLogTime(messages: Message[]): Message[] {
  return messages.sort((a, b) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0));
}

function extreme(
  topics: readonly BagTopic[],
  pick: (t: BagTopic) => TimeNs | undefined,
  better: (a: TimeNs, b: TimeNs) => boolean,
): TimeNs | undefined {
  let best: TimeNs | undefined;
  for (const t of topics) {
    const v = pick(t);
    if (v !== undefined && (best === undefined || better(v, best))) best = v;
  }
  return best;
}

function channelInfos(
  channels: Iterable<Channel>,
  schemas: ReadonlyMap<number, Schema>,
): Map<number, ChannelInfo> {
  const out = new Map<number, ChannelInfo>();
  // By channel id, so that indexed and streamed reading list topics alike.
  for (const ch of [...channels].sort((a, b) => a.id - b.id)) {
    const schema = schemas.get(ch.schemaId);
    out.set(ch.id, {
      topic: ch.topic,
      type: schema?.name ?? '',
      schema: schema ? new TextDecoder().decode(schema.data) : undefined,
      problem: channelProblem(ch, schema),
      messageEncoding: ch.messageEncoding,
      schemaEncoding: schema?.encoding ?? '',
      qos: ch.metadata.get('offered_qos_profiles') ?? '',
    });
  }
  return out;
}

/** Why a channel's messages cannot be decoded, or undefined when they can. */
function channelProblem(ch: Channel, schema: Schema | undefined): string | undefined {
  if (!schema) return `no schema record (schema id ${ch.schemaId})`;
  if (schema.encoding !== 'ros2msg')
    return `schema ${schema.name} has encoding '${schema.encoding}', not ros2msg`;
  if (ch.messageEncoding !== 'cdr') return `message encoding '${ch.messageEncoding}' is not cdr`;
  if (schema.data.byteLength === 0) return `schema ${schema.name} is empty (no definition of the type)`;
  return undefined;
}
