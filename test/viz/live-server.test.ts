import { strict as assert } from 'node:assert';
import { WebSocket } from 'ws';
import { CdrCodec } from '../../src/bag/codec';
import { NS_PER_S } from '../../src/messages/time';
import { pathPosesInFrame } from '../../src/viz/foxglove';
import { FoxgloveLiveServer, LiveServerError } from '../../src/viz/live-server';
import { trajectoryFromPlanMsg } from '../../src/messages/plan';
import { FoxgloveTypes, VIZ_TOPICS } from '../../src/viz/topics';
import { odometry, planMsg } from './fixtures';

const TIMEOUT_MS = 5000;

/** A client that queues what the server sends, so a test can await messages in order. */
class TestClient {
  readonly ws: WebSocket;
  readonly #queue: (string | Uint8Array)[] = [];
  #waiter: (() => void) | undefined;

  constructor(url: string, protocol: string) {
    this.ws = new WebSocket(url, [protocol]);
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data, isBinary) => {
      this.#queue.push(isBinary ? new Uint8Array(data as Buffer) : (data as Buffer).toString('utf8'));
      this.#waiter?.();
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  async next(): Promise<string | Uint8Array> {
    const deadline = Date.now() + TIMEOUT_MS;
    while (this.#queue.length === 0) {
      if (Date.now() > deadline) throw new Error('no message from the server within 5 s');
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.#queue.shift()!;
  }

  /** The next MESSAGE_DATA frame, skipping time frames (returned in `times`). */
  async nextData(times: bigint[] = []): Promise<{ subId: number; timeNs: bigint; payload: Uint8Array }> {
    for (;;) {
      const frame = await this.next();
      assert.ok(frame instanceof Uint8Array, `expected binary data, got ${String(frame)}`);
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      if (view.getUint8(0) === 2) {
        times.push(view.getBigUint64(1, true));
        continue;
      }
      assert.equal(view.getUint8(0), 1, 'opcode MESSAGE_DATA');
      return {
        subId: view.getUint32(1, true),
        timeNs: view.getBigUint64(5, true),
        payload: frame.subarray(13),
      };
    }
  }

  async nextJson(): Promise<Record<string, unknown>> {
    const m = await this.next();
    assert.equal(typeof m, 'string', 'expected a JSON text message');
    return JSON.parse(m as string) as Record<string, unknown>;
  }
}

describe('viz live Foxglove server', function () {
  this.timeout(10_000);
  let server: FoxgloveLiveServer | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await server?.close();
    server = undefined;
  });

  async function connect(protocol: string): Promise<TestClient> {
    const client = new TestClient(server!.url, protocol);
    clients.push(client);
    await client.opened();
    return client;
  }

  for (const protocol of ['foxglove.websocket.v1', 'foxglove.sdk.v1']) {
    it(`serves a CDR channel to a ${protocol} client that subscribes, and the message decodes equal`, async () => {
      server = await FoxgloveLiveServer.start({ port: 0 });
      assert.equal(server.host, '127.0.0.1');
      assert.ok(server.port > 0);
      const channelId = server.advertise(VIZ_TOPICS.pathPoses, FoxgloveTypes.PosesInFrame);
      const client = await connect(protocol);
      assert.equal(client.ws.protocol, protocol);

      const info = await client.nextJson();
      assert.equal(info.op, 'serverInfo');
      assert.equal(info.name, 'sparse_video_nav');
      assert.deepEqual(info.capabilities, ['time']);
      assert.deepEqual(info.supportedEncodings, ['cdr']);
      const advertise = await client.nextJson();
      assert.equal(advertise.op, 'advertise');
      const channels = advertise.channels as Record<string, unknown>[];
      assert.equal(channels.length, 1);
      assert.deepEqual(
        { ...channels[0], schema: undefined },
        {
          id: channelId,
          topic: VIZ_TOPICS.pathPoses,
          encoding: 'cdr',
          schemaName: 'foxglove_msgs/msg/PosesInFrame',
          schemaEncoding: 'ros2msg',
          schema: undefined,
        },
      );
      assert.match(channels[0]!.schema as string, /^# foxglove_msgs\/msg\/PosesInFrame/);

      assert.equal(
        server.publish(VIZ_TOPICS.pathPoses, 1n, {
          timestamp: { sec: 0, nanosec: 0 },
          frame_id: '',
          poses: [],
        }),
        false,
      );
      client.ws.send(JSON.stringify({ op: 'subscribe', subscriptions: [{ id: 42, channelId }] }));
      const deadline = Date.now() + TIMEOUT_MS;
      while (!server.hasSubscribers(VIZ_TOPICS.pathPoses)) {
        assert.ok(Date.now() < deadline, 'subscription never reached the server');
        await new Promise((r) => setTimeout(r, 10));
      }

      const message = pathPosesInFrame(
        trajectoryFromPlanMsg(planMsg({ stampNs: 1_700_000_000n * NS_PER_S, dx_m: 0.1 })),
      );
      const logTimeNs = 1_700_000_000_500_000_000n;
      assert.equal(server.publish(VIZ_TOPICS.pathPoses, logTimeNs, message), true);
      const times: bigint[] = [];
      // path_poses is latched: the message published before the subscription arrives first.
      const latched = await client.nextData(times);
      assert.deepEqual([latched.subId, latched.timeNs], [42, 1n]);
      const data = await client.nextData(times);
      assert.equal(data.subId, 42, 'subscription id');
      assert.equal(data.timeNs, logTimeNs);
      // The server clock follows the log times of what it publishes (time capability).
      assert.deepEqual(times, [1n, logTimeNs]);
      const decoded = new CdrCodec().decode(FoxgloveTypes.PosesInFrame, data.payload);
      assert.deepEqual(decoded, message);
    });
  }

  it('refuses a client that offers no Foxglove subprotocol', async () => {
    server = await FoxgloveLiveServer.start({ port: 0 });
    const ws = new WebSocket(server.url, ['some.other.protocol']);
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', (err) => resolve(err.message));
    });
    ws.terminate();
    assert.notEqual(outcome, 'open');
    assert.match(outcome, /protocol/i);
  });

  it('closes the connection of a client that offers no subprotocol at all, sending it nothing', async () => {
    const errors: Error[] = [];
    server = await FoxgloveLiveServer.start({ port: 0, onError: (e) => errors.push(e) });
    server.advertise(VIZ_TOPICS.pathPoses, FoxgloveTypes.PosesInFrame);
    const ws = new WebSocket(server.url);
    const received: unknown[] = [];
    ws.on('message', (m) => received.push(m));
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    assert.equal(code, 1002);
    assert.deepEqual(received, []);
    assert.deepEqual(errors, []);
  });

  it('drops a client that sends malformed JSON, reports it, and keeps serving the others', async () => {
    const errors: Error[] = [];
    server = await FoxgloveLiveServer.start({ port: 0, onError: (e) => errors.push(e) });
    const bad = await connect('foxglove.websocket.v1');
    const good = await connect('foxglove.websocket.v1');
    await bad.nextJson();
    await good.nextJson();
    const closed = new Promise<number>((resolve) => bad.ws.once('close', (code) => resolve(code)));
    bad.ws.send('{not json');
    assert.equal(await closed, 1008);
    assert.match(errors[0]!.message, /dropped: malformed JSON/);
    server.advertise('/svnav/status', 'sparse_video_nav/msg/PlannerStatus');
    assert.equal((await good.nextJson()).op, 'advertise');
    assert.equal(server.droppedClients, 1);
  });

  it('drops clients that send a subscribe of the wrong shape or binary data', async () => {
    server = await FoxgloveLiveServer.start({ port: 0 });
    const a = await connect('foxglove.websocket.v1');
    const b = await connect('foxglove.websocket.v1');
    const codes = [a, b].map(
      (c) => new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code))),
    );
    a.ws.send(JSON.stringify({ op: 'subscribe', subscriptions: 5 }));
    b.ws.send(new Uint8Array([1, 0, 0, 0, 0]));
    assert.deepEqual(await Promise.all(codes), [1008, 1003]);
  });

  it('refuses clients beyond maxClients with 1013 and frames over maxClientMessageBytes with 1009', async () => {
    server = await FoxgloveLiveServer.start({ port: 0, maxClients: 2, maxClientMessageBytes: 1024 });
    const first = await connect('foxglove.websocket.v1');
    await connect('foxglove.websocket.v1');
    const third = new TestClient(server.url, 'foxglove.websocket.v1');
    clients.push(third);
    const refused = await new Promise<number>((resolve) => third.ws.once('close', (code) => resolve(code)));
    assert.equal(refused, 1013);
    const closed = new Promise<number>((resolve) => first.ws.once('close', (code) => resolve(code)));
    first.ws.send('x'.repeat(2048));
    assert.equal(await closed, 1009);
    // The slot is free again.
    await connect('foxglove.websocket.v1');
    assert.equal(server.clientCount, 2);
  });

  it('gives a client that subscribes after the first plan the latest status, plan and future at once', async () => {
    server = await FoxgloveLiveServer.start({ port: 0 });
    const topics = {
      status: ['/svnav/status', 'sparse_video_nav/msg/PlannerStatus'],
      plan: ['/svnav/plan', 'sparse_video_nav/msg/Plan'],
      future: ['/svnav/imagined_future', 'sensor_msgs/msg/CompressedImage'],
      odom: ['/odom', 'nav_msgs/msg/Odometry'],
    } as const;
    const ids = Object.fromEntries(
      Object.entries(topics).map(([k, [topic, type]]) => [k, server!.advertise(topic, type)]),
    ) as Record<keyof typeof topics, number>;
    const codec = new CdrCodec();
    const t0 = 1_700_000_000n * NS_PER_S;
    const plans = [1, 2].map((sequence) => planMsg({ stampNs: t0, sequence, dx_m: 0.1 }));
    const future = (k: number) => ({
      header: { stamp: { sec: k, nanosec: 0 }, frame_id: 'front_camera' },
      format: 'jpeg',
      data: new Uint8Array([k, k, k]),
    });
    const status = (k: number) => ({
      header: { stamp: { sec: k, nanosec: 0 }, frame_id: 'base_link' },
      plan_sequence: k,
      episode_id: 'e',
      episode_state: 'running',
      instruction: 'go',
      message: '',
      ...{ encode_ms: 1, history_ms: 1, text_ms: 1, dit_ms: 1, action_ms: 1, total_ms: 5 },
      history_chunks: 1,
      execution_provider: 'cpu',
      untrained_model: true,
    });
    plans.forEach((plan, k) => {
      const t = t0 + BigInt(k) * NS_PER_S;
      server!.publish('/svnav/plan', t, plan);
      server!.publish('/svnav/imagined_future', t + 1n, future(k + 1));
      server!.publish('/svnav/status', t + 2n, status(k + 1));
      server!.publish('/odom', t + 3n, odometry(t, { x_m: k, y_m: 0, theta_rad: 0 }));
    });
    const late = await connect('foxglove.websocket.v1');
    await late.nextJson();
    await late.nextJson();
    late.ws.send(
      JSON.stringify({
        op: 'subscribe',
        subscriptions: [
          { id: 10, channelId: ids.status },
          { id: 11, channelId: ids.plan },
          { id: 12, channelId: ids.future },
          { id: 13, channelId: ids.odom },
        ],
      }),
    );
    const times: bigint[] = [];
    const got = new Map<number, { timeNs: bigint; payload: Uint8Array }>();
    for (let i = 0; i < 3; i++) {
      const d = await late.nextData(times);
      got.set(d.subId, d);
    }
    // The clock was sent on connect: the newest log time published.
    assert.deepEqual(times, [t0 + NS_PER_S + 3n]);
    assert.deepEqual([...got.keys()].sort(), [10, 11, 12], 'odometry is a stream, not latched');
    const plan = codec.decode<{ sequence: number }>('sparse_video_nav/msg/Plan', got.get(11)!.payload);
    assert.equal(plan.sequence, 2);
    assert.equal(got.get(11)!.timeNs, t0 + NS_PER_S);
    const img = codec.decode<{ data: Uint8Array }>('sensor_msgs/msg/CompressedImage', got.get(12)!.payload);
    assert.deepEqual(Array.from(img.data), [2, 2, 2]);
    const st = codec.decode<{ plan_sequence: number }>(
      'sparse_video_nav/msg/PlannerStatus',
      got.get(10)!.payload,
    );
    assert.equal(st.plan_sequence, 2);
  });

  it('advertises each topic once, refuses a second type for it and a publish to an unknown topic', async () => {
    server = await FoxgloveLiveServer.start({ port: 0 });
    const a = server.advertise('/svnav/status', 'sparse_video_nav/msg/PlannerStatus');
    assert.equal(server.advertise('/svnav/status', 'sparse_video_nav/PlannerStatus'), a);
    assert.throws(
      () => server!.advertise('/svnav/status', 'std_msgs/msg/String'),
      /already advertised as sparse_video_nav\/msg\/PlannerStatus, not std_msgs\/msg\/String/,
    );
    assert.throws(() => server!.publish('/nowhere', 0n, {}), LiveServerError);
    assert.throws(
      () => server!.advertise('/x', 'nonexistent_msgs/msg/Nothing'),
      /no message definition for nonexistent_msgs\/Nothing/,
    );
  });

  it('drops message data for a client whose socket is backed up instead of buffering without bound', async () => {
    server = await FoxgloveLiveServer.start({ port: 0, maxBufferedBytes: 1 << 20 });
    const channelId = server.advertise('/svnav/imagined_future', 'sensor_msgs/msg/CompressedImage');
    const client = await connect('foxglove.websocket.v1');
    await client.nextJson();
    await client.nextJson();
    client.ws.send(JSON.stringify({ op: 'subscribe', subscriptions: [{ id: 1, channelId }] }));
    while (!server.hasSubscribers('/svnav/imagined_future')) await new Promise((r) => setTimeout(r, 10));
    // The client stops reading: the kernel buffers fill, then the server's socket buffer.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const image = {
      timestamp: { sec: 1, nanosec: 0 },
      frame_id: 'cam',
      data: new Uint8Array(1 << 20),
      format: 'jpeg',
    };
    let sent = 0;
    for (; sent < 200 && server.droppedMessages === 0; sent++) {
      server.publish('/svnav/imagined_future', BigInt(sent), image);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(server.droppedMessages > 0, `nothing dropped after ${sent} messages of 1 MiB`);
  });

  it('reports a port already in use, and closes idempotently, disconnecting its clients', async () => {
    server = await FoxgloveLiveServer.start({ port: 0 });
    await assert.rejects(FoxgloveLiveServer.start({ port: server.port }), (err: Error) => {
      assert.ok(err instanceof LiveServerError);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${server!.port}.*EADDRINUSE`));
      return true;
    });
    const client = await connect('foxglove.websocket.v1');
    const closed = new Promise<void>((resolve) => client.ws.once('close', () => resolve()));
    await Promise.all([server.close(), server.close()]);
    await closed;
    assert.throws(() => server!.advertise('/late', 'std_msgs/msg/String'), /closed/);
  });
});
