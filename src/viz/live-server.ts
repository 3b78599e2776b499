/**
 * Live view without ROS: serves channels over the Foxglove WebSocket protocol (@foxglove/ws-protocol's
 * FoxgloveServer on the `ws` package), messages CDR-encoded with `ros2msg` schemas from the bag helper's
 * registry, so Foxglove decodes them exactly as it decodes a rosbag2 MCAP of the same topics.
 *
 * Bounded: a message is encoded only when some client subscribes to its channel, and binary message data
 * to a client whose socket already buffers `maxBufferedBytes` is dropped (a slow Wi-Fi link loses frames
 * instead of growing the robot's memory). Control messages (serverInfo, advertise) are never dropped.
 */
import type { AddressInfo } from 'node:net';
import { FoxgloveServer } from '@foxglove/ws-protocol';
import type { IWebSocket } from '@foxglove/ws-protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { CdrCodec } from '../bag/codec';
import { schemaName } from '../bag/schemas';
import type { TimeNs } from '../messages/time';

/** Subprotocols accepted: the classic one and the name newer Foxglove apps and foxglove_bridge ≥ 3 offer. */
export const FOXGLOVE_SUBPROTOCOLS = ['foxglove.websocket.v1', 'foxglove.sdk.v1'] as const;

export interface LiveServerOptions {
  /** Interface to listen on. Default '127.0.0.1' (loopback only; pass '0.0.0.0' deliberately). */
  readonly host?: string;
  /** Default 8765 (Foxglove's default); 0 picks a free port. */
  readonly port?: number;
  /** Server name shown by Foxglove. Default 'sparse_video_nav'. */
  readonly name?: string;
  readonly codec?: CdrCodec;
  /** Per-client socket buffer above which message data is dropped. Default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** Receives protocol and socket errors after start (malformed client messages, socket failures). Default: ignored. */
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
  readonly type: string;
  readonly schema: string;
}

export class FoxgloveLiveServer {
  readonly host: string;
  readonly port: number;
  readonly #wss: WebSocketServer;
  readonly #server: FoxgloveServer;
  readonly #codec: CdrCodec;
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #subscribed = new Set<number>();
  #dropped = 0;
  #closed: Promise<void> | undefined;

  private constructor(
    wss: WebSocketServer,
    server: FoxgloveServer,
    codec: CdrCodec,
    host: string,
    port: number,
  ) {
    this.#wss = wss;
    this.#server = server;
    this.#codec = codec;
    this.host = host;
    this.port = port;
    server.on('subscribe', (id) => this.#subscribed.add(id));
    server.on('unsubscribe', (id) => this.#subscribed.delete(id));
  }

  /** Listens and resolves once the port is bound; rejects with the socket error (e.g. port in use). */
  static async start(options: LiveServerOptions = {}): Promise<FoxgloveLiveServer> {
    const host = options.host ?? '127.0.0.1';
    const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    const server = new FoxgloveServer({
      name: options.name ?? 'sparse_video_nav',
      supportedEncodings: ['cdr'],
    });
    const wss = new WebSocketServer({
      host,
      port: options.port ?? 8765,
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
    const live = new FoxgloveLiveServer(
      wss,
      server,
      options.codec ?? new CdrCodec(),
      host,
      (wss.address() as AddressInfo).port,
    );
    wss.on('connection', (ws, req) => {
      // ws accepts a handshake even when no offered subprotocol was chosen; such a client cannot speak ours.
      if (!(FOXGLOVE_SUBPROTOCOLS as readonly string[]).includes(ws.protocol)) {
        ws.close(1002, `expected subprotocol ${FOXGLOVE_SUBPROTOCOLS.join(' or ')}`);
        return;
      }
      server.handleConnection(
        live.#bounded(ws, maxBuffered),
        `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      );
    });
    // A bad client message or a socket error after start must not take the process down.
    const onError = options.onError ?? (() => undefined);
    server.on('error', onError);
    wss.on('error', onError);
    return live;
  }

  get url(): string {
    return `ws://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Message data dropped because a client's socket was backed up. */
  get droppedMessages(): number {
    return this.#dropped;
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
    this.#channels.set(topic, { id, type: name, schema });
    return id;
  }

  hasSubscribers(topic: string): boolean {
    const channel = this.#channels.get(topic);
    return channel !== undefined && this.#subscribed.has(channel.id);
  }

  /**
   * Sends `message` on an advertised topic with its log time. Returns false (and encodes nothing) when no
   * client subscribes. Throws for a topic never advertised or a message that does not fit its type.
   */
  publish(topic: string, timeNs: TimeNs, message: unknown): boolean {
    const channel = this.#channels.get(topic);
    if (!channel) throw new LiveServerError(`topic ${topic} was not advertised`);
    if (this.#closed || !this.#subscribed.has(channel.id)) return false;
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

  /** The client socket as FoxgloveServer sees it, with binary sends dropped while the socket is backed up. */
  #bounded(ws: WebSocket, maxBufferedBytes: number): IWebSocket {
    const dropped = (): void => {
      this.#dropped++;
    };
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
      get onerror() {
        return ws.onerror;
      },
      set onerror(h) {
        ws.onerror = h ?? null;
      },
      get onopen() {
        return ws.onopen;
      },
      set onopen(h) {
        ws.onopen = h ?? null;
      },
      get onclose() {
        return ws.onclose;
      },
      set onclose(h) {
        ws.onclose = h ?? null;
      },
      get onmessage() {
        return ws.onmessage;
      },
      set onmessage(h) {
        ws.onmessage = h ?? null;
      },
      close: () => ws.close(),
      send(data, options) {
        if (typeof data !== 'string' && ws.bufferedAmount > maxBufferedBytes) {
          dropped();
          return;
        }
        ws.send(data, options ?? {});
      },
    };
  }
}
