/**
 * Live view without ROS: serves channels over the Foxglove WebSocket protocol (@foxglove/ws-protocol's
 * FoxgloveServer on the `ws` package), messages CDR-encoded with `ros2msg` schemas from the bag helper's
 * registry, so Foxglove decodes them exactly as it decodes a rosbag2 MCAP of the same topics.
 *
 * What a viewer needs on first open: the last message of latched topics (status, plan, path, future,
 * heartbeat, static transforms) goes to a client the moment it subscribes, as a transient-local ROS
 * subscription would get it; the server declares the `time` capability and sends the log time of what it
 * publishes, so Foxglove's timeline follows the bag's clock, not its own receive times.
 *
 * Bounded and isolated: a message is encoded only when some client subscribes to its channel; binary data to
 * a client whose socket already buffers `maxBufferedBytes` is dropped (a slow link loses frames instead of
 * growing the robot's memory); a client's frames are capped in size, the number of clients is capped, and a
 * client that breaks the protocol (bad frame, bad JSON, binary data we never asked for) is dropped alone.
 */
import type { AddressInfo } from 'node:net';
import { FoxgloveServer, ServerCapability } from '@foxglove/ws-protocol';
import type { IWebSocket } from '@foxglove/ws-protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { CdrCodec } from '../bag/codec';
import { schemaName } from '../bag/schemas';
import { defaultConfig } from '../config';
import type { SvnavConfig } from '../config/schema';
import type { TimeNs } from '../messages/time';
import { VIZ_TOPICS } from './topics';

/** Subprotocols accepted: the classic one and the name newer Foxglove apps and foxglove_bridge ≥ 3 offer. */
export const FOXGLOVE_SUBPROTOCOLS = ['foxglove.websocket.v1', 'foxglove.sdk.v1'] as const;

/** WebSocket close codes the server uses when it drops a client. */
export const CLOSE_CODES = { policy: 1008, unsupported: 1003, tryAgainLater: 1013 } as const;

/** Topics whose last message a late subscriber gets at once (state, not streams), for a configuration. */
export function latchedTopicsFor(config: SvnavConfig): string[] {
  return [
    config.planner.status_topic,
    config.planner.plan_topic,
    config.planner.path_topic,
    config.planner.future_topic,
    config.planner.heartbeat_topic,
    config.controller.status_topic,
    '/tf_static',
    VIZ_TOPICS.pathPoses,
    VIZ_TOPICS.pathScene,
    VIZ_TOPICS.pathAnnotations,
    VIZ_TOPICS.transforms,
  ];
}

export interface LiveServerOptions {
  /** Interface to listen on. Default '127.0.0.1' (loopback only; pass '0.0.0.0' deliberately). */
  readonly host?: string;
  /** Default 8765 (Foxglove's default); 0 picks a free port. */
  readonly port?: number;
  /** Server name shown by Foxglove. Default 'sparse_video_nav'. */
  readonly name?: string;
  /** Must know every type served (replay passes its recorder's codec). */
  readonly codec?: CdrCodec;
  /** Per-client socket buffer above which message data is dropped. Default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** Latched topics (see latchedTopicsFor). Default: those of the default configuration. */
  readonly latchedTopics?: Iterable<string>;
  /** Largest WebSocket message a client may send; clients only send small JSON. Default 64 KiB. */
  readonly maxClientMessageBytes?: number;
  /** Clients served at once; more are closed with 1013 (try again later). Default 8. */
  readonly maxClients?: number;
  /** Receives protocol and socket errors after start (dropped clients, socket failures). Default: ignored. */
  readonly onError?: (error: Error) => void;
}

export class LiveServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveServerError';
  }
}

interface ChannelEntry {
  readonly id: number;
  readonly topic: string;
  readonly type: string;
  readonly schema: string;
}

/** What this server knows of one client: its socket and its subscriptions (channel id → subscription id). */
interface ClientState {
  readonly ws: WebSocket;
  readonly name: string;
  readonly subscriptions: Map<number, number>;
}

const OPCODE_MESSAGE_DATA = 1;
const OPCODE_TIME = 2;
/** Time updates are sent when the log clock moved at least this far (a 100 Hz timeline is smooth enough). */
const TIME_STEP_NS = 10_000_000n;

/** Binary MESSAGE_DATA frame: opcode, subscription id (u32 LE), log time (u64 LE), payload. */
export function messageDataFrame(subscriptionId: number, timeNs: bigint, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(13 + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, OPCODE_MESSAGE_DATA);
  view.setUint32(1, subscriptionId, true);
  view.setBigUint64(5, BigInt.asUintN(64, timeNs), true);
  frame.set(payload, 13);
  return frame;
}

function timeFrame(timeNs: bigint): Uint8Array {
  const frame = new Uint8Array(9);
  const view = new DataView(frame.buffer);
  view.setUint8(0, OPCODE_TIME);
  view.setBigUint64(1, BigInt.asUintN(64, timeNs), true);
  return frame;
}

/** The client operations this server acts on; others pass through to FoxgloveServer unchanged. */
interface ClientOp {
  readonly op: string;
  readonly subscriptions?: readonly { id: number; channelId: number }[];
  readonly subscriptionIds?: readonly number[];
}

const isId = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;

/** Why a parsed client message breaks the protocol, or undefined when it is well formed. */
export function checkClientMessage(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'not a JSON object';
  const m = message as Record<string, unknown>;
  if (typeof m.op !== 'string') return 'no op';
  if (m.op === 'subscribe') {
    const subs = m.subscriptions;
    const ok =
      Array.isArray(subs) &&
      subs.every((s) => typeof s === 'object' && s !== null && isId(s.id) && isId(s.channelId));
    return ok ? undefined : 'subscribe needs subscriptions [{ id, channelId }] of u32';
  }
  if (m.op === 'unsubscribe') {
    const ids = m.subscriptionIds;
    return Array.isArray(ids) && ids.every(isId) ? undefined : 'unsubscribe needs subscriptionIds of u32';
  }
  return undefined;
}

export class FoxgloveLiveServer {
  readonly host: string;
  readonly port: number;
  readonly #wss: WebSocketServer;
  readonly #server: FoxgloveServer;
  readonly #codec: CdrCodec;
  readonly #maxBuffered: number;
  readonly #onError: (error: Error) => void;
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #subscribed = new Set<number>();
  readonly #clients = new Map<WebSocket, ClientState>();
  readonly #latchedTopics: ReadonlySet<string>;
  readonly #latched = new Map<string, { timeNs: TimeNs; message: unknown }>();
  #clock = -1n;
  #clockSent = -1n;
  #dropped = 0;
  #droppedClients = 0;
  #closed: Promise<void> | undefined;

  private constructor(
    wss: WebSocketServer,
    server: FoxgloveServer,
    options: LiveServerOptions,
    port: number,
  ) {
    this.#wss = wss;
    this.#server = server;
    this.#codec = options.codec ?? new CdrCodec();
    this.#maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#onError = options.onError ?? (() => undefined);
    this.#latchedTopics = new Set(options.latchedTopics ?? latchedTopicsFor(defaultConfig()));
    this.host = options.host ?? '127.0.0.1';
    this.port = port;
    server.on('subscribe', (id) => this.#subscribed.add(id));
    server.on('unsubscribe', (id) => this.#subscribed.delete(id));
    server.on('error', (err) => this.#onError(err));
    wss.on('error', (err) => this.#onError(err));
    const maxClients = options.maxClients ?? 8;
    wss.on('connection', (ws, req) => {
      const name = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
      this.#accept(ws, name, maxClients);
    });
  }

  /** Listens and resolves once the port is bound; rejects with the socket error (e.g. port in use). */
  static async start(options: LiveServerOptions = {}): Promise<FoxgloveLiveServer> {
    const host = options.host ?? '127.0.0.1';
    const server = new FoxgloveServer({
      name: options.name ?? 'sparse_video_nav',
      capabilities: [ServerCapability.time],
      supportedEncodings: ['cdr'],
    });
    const wss = new WebSocketServer({
      host,
      port: options.port ?? 8765,
      maxPayload: options.maxClientMessageBytes ?? 64 * 1024,
      perMessageDeflate: false,
      handleProtocols: (protocols) => FOXGLOVE_SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err) =>
        reject(
          new LiveServerError(
            `Foxglove server cannot listen on ${host}:${options.port ?? 8765}: ${err.message}`,
          ),
        ),
      );
    });
    return new FoxgloveLiveServer(wss, server, options, (wss.address() as AddressInfo).port);
  }

  get url(): string {
    return `ws://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Message data dropped because a client's socket was backed up. */
  get droppedMessages(): number {
    return this.#dropped;
  }

  /** Clients dropped for breaking the protocol or the caps. */
  get droppedClients(): number {
    return this.#droppedClients;
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Advertises `topic` with the ROS type's ros2msg schema; idempotent for the same type. Returns the channel id. */
  advertise(topic: string, type: string): number {
    if (this.#closed) throw new LiveServerError(`cannot advertise ${topic}: the server is closed`);
    const existing = this.#channels.get(topic);
    const name = schemaName(type);
    if (existing) {
      if (existing.type !== name) {
        throw new LiveServerError(`topic ${topic} is already advertised as ${existing.type}, not ${name}`);
      }
      return existing.id;
    }
    const schema = this.#codec.schemaOf(name);
    const id = this.#server.addChannel({
      topic,
      encoding: 'cdr',
      schemaName: name,
      schema,
      schemaEncoding: 'ros2msg',
    });
    this.#channels.set(topic, { id, topic, type: name, schema });
    return id;
  }

  hasSubscribers(topic: string): boolean {
    const channel = this.#channels.get(topic);
    return channel !== undefined && this.#subscribed.has(channel.id);
  }

  /**
   * Sends `message` on an advertised topic with its log time, and moves the server clock to that time.
   * Returns false (and encodes nothing) when no client subscribes; a latched topic's message is kept for
   * later subscribers either way. Throws for a topic never advertised or a message that does not fit its type.
   */
  publish(topic: string, timeNs: TimeNs, message: unknown): boolean {
    const channel = this.#channels.get(topic);
    if (!channel) throw new LiveServerError(`topic ${topic} was not advertised`);
    if (this.#closed) return false;
    if (this.#latchedTopics.has(topic)) this.#latched.set(topic, { timeNs, message });
    this.#advanceClock(timeNs);
    if (!this.#subscribed.has(channel.id)) return false;
    const data = this.#codec.encodeWithSchema(channel.type, channel.schema, message);
    this.#server.sendMessage(channel.id, BigInt.asUintN(64, timeNs), data);
    return true;
  }

  /** Closes every client connection and the listening socket; idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      for (const client of this.#wss.clients) client.terminate();
      this.#wss.close(() => resolve());
    });
    return this.#closed;
  }

  #advanceClock(timeNs: TimeNs): void {
    if (timeNs <= this.#clock) return;
    this.#clock = timeNs;
    if (this.#clockSent >= 0n && timeNs - this.#clockSent < TIME_STEP_NS) return;
    this.#clockSent = timeNs;
    this.#server.broadcastTime(BigInt.asUintN(64, timeNs));
  }

  #accept(ws: WebSocket, name: string, maxClients: number): void {
    // Protocol violations (bad UTF-8, opcode, mask, RSV bits, oversize frames) surface here; ws then closes
    // the socket. Without a listener the 'error' event would throw and take the whole process down.
    ws.on('error', (err) => this.#drop(ws, name, `socket error: ${err.message}`));
    // ws accepts a handshake even when no offered subprotocol was chosen; such a client cannot speak ours.
    if (!(FOXGLOVE_SUBPROTOCOLS as readonly string[]).includes(ws.protocol)) {
      ws.close(1002, `expected subprotocol ${FOXGLOVE_SUBPROTOCOLS.join(' or ')}`);
      return;
    }
    if (this.#clients.size >= maxClients || this.#closed) {
      this.#droppedClients++;
      ws.close(CLOSE_CODES.tryAgainLater, `at most ${maxClients} clients`);
      return;
    }
    const state: ClientState = { ws, name, subscriptions: new Map() };
    this.#clients.set(ws, state);
    ws.on('close', () => this.#clients.delete(ws));
    this.#server.handleConnection(this.#wrap(state), name);
    if (this.#clock >= 0n) this.#send(state, timeFrame(this.#clock));
  }

  /** Drops a misbehaving client alone; the error goes to onError. */
  #drop(ws: WebSocket, name: string, reason: string, code: number = CLOSE_CODES.policy): void {
    if (!this.#clients.has(ws) && ws.readyState !== ws.OPEN) {
      this.#onError(new LiveServerError(`client ${name}: ${reason}`));
      return;
    }
    this.#clients.delete(ws);
    this.#droppedClients++;
    this.#onError(new LiveServerError(`client ${name} dropped: ${reason}`));
    if (ws.readyState === ws.OPEN) ws.close(code, reason.slice(0, 120));
    // A peer that ignores the close handshake is cut off.
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  /** Checks a client message before FoxgloveServer sees it, then keeps our view of its subscriptions. */
  #onClientMessage(state: ClientState, event: { data: unknown }, handler: (event: unknown) => void): void {
    if (typeof event.data !== 'string') {
      this.#drop(
        state.ws,
        state.name,
        'sent binary data (no client publishing here)',
        CLOSE_CODES.unsupported,
      );
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(event.data);
    } catch (err) {
      this.#drop(state.ws, state.name, `malformed JSON: ${(err as Error).message}`);
      return;
    }
    const problem = checkClientMessage(message);
    if (problem) {
      this.#drop(state.ws, state.name, problem);
      return;
    }
    const accepted = this.#trackSubscriptions(state, message as ClientOp);
    try {
      handler(event);
    } catch (err) {
      this.#drop(state.ws, state.name, `message refused: ${(err as Error).message}`);
      return;
    }
    for (const [channelId, subId] of accepted) this.#sendLatched(state, channelId, subId);
  }

  /** Mirrors FoxgloveServer's rules (first use of an id and of a channel wins); returns new subscriptions. */
  #trackSubscriptions(state: ClientState, message: ClientOp): [number, number][] {
    const accepted: [number, number][] = [];
    if (message.op === 'subscribe') {
      const usedIds = new Set(state.subscriptions.values());
      const known = new Set([...this.#channels.values()].map((c) => c.id));
      for (const { id, channelId } of message.subscriptions ?? []) {
        if (usedIds.has(id) || state.subscriptions.has(channelId) || !known.has(channelId)) continue;
        state.subscriptions.set(channelId, id);
        usedIds.add(id);
        accepted.push([channelId, id]);
      }
    } else if (message.op === 'unsubscribe') {
      const ids = new Set(message.subscriptionIds ?? []);
      for (const [channelId, id] of state.subscriptions) {
        if (ids.has(id)) state.subscriptions.delete(channelId);
      }
    }
    return accepted;
  }

  #sendLatched(state: ClientState, channelId: number, subId: number): void {
    const channel = [...this.#channels.values()].find((c) => c.id === channelId);
    const last = channel && this.#latched.get(channel.topic);
    if (!channel || !last) return;
    const data = this.#codec.encodeWithSchema(channel.type, channel.schema, last.message);
    this.#send(state, messageDataFrame(subId, last.timeNs, data));
  }

  #send(state: ClientState, frame: Uint8Array): void {
    if (state.ws.readyState !== state.ws.OPEN) return;
    if (state.ws.bufferedAmount > this.#maxBuffered) {
      this.#dropped++;
      return;
    }
    state.ws.send(frame);
  }

  /** The client socket as FoxgloveServer sees it: messages checked first, binary sends bounded. */
  #wrap(state: ClientState): IWebSocket {
    const { ws } = state;
    const check = (event: { data: unknown }, h: (e: unknown) => void): void =>
      this.#onClientMessage(state, event, h);
    let onmessage: ((event: unknown) => void) | null = null;
    return {
      get binaryType() {
        return ws.binaryType;
      },
      set binaryType(value: string) {
        ws.binaryType = value as WebSocket['binaryType'];
      },
      get protocol() {
        return ws.protocol;
      },
      onerror: null,
      onopen: null,
      get onclose() {
        return ws.onclose;
      },
      set onclose(h) {
        ws.onclose = h ?? null;
      },
      get onmessage() {
        return onmessage;
      },
      set onmessage(h) {
        onmessage = h as ((event: unknown) => void) | null;
        ws.onmessage = h ? (event) => check(event, h as (e: unknown) => void) : null;
      },
      close: () => ws.close(),
      send: (data, options) => {
        if (ws.readyState !== ws.OPEN) return;
        if (typeof data !== 'string' && ws.bufferedAmount > this.#maxBuffered) {
          this.#dropped++;
          return;
        }
        ws.send(data, options ?? {});
      },
    } as IWebSocket;
  }
}
