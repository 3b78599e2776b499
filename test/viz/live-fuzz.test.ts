import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { openBag } from '../../src/bag/reader';
import { parseConfig, type SvnavConfig } from '../../src/config';
import type { Planner } from '../../src/planner/planner';
import { replayCodec } from '../../src/replay/recorder';
import { runReplay } from '../../src/replay/replay';
import { FoxgloveLiveServer, latchedTopicsFor } from '../../src/viz/live-server';
import { tempDir } from '../bag/helpers';
import { writeSmallBag } from '../replay/bags';
import { loadTinyPlanner, tinyModelDir } from '../support/tiny-model';

const PROTOCOL = 'foxglove.websocket.v1';

/** A client frame, masked as RFC 6455 requires unless `unmasked`; `length` may lie about the payload. */
function frame(
  opcode: number,
  payload: Uint8Array,
  o: { rsv?: number; unmasked?: boolean; length?: bigint } = {},
): Buffer {
  const length = o.length ?? BigInt(payload.length);
  const head = [0x80 | ((o.rsv ?? 0) << 4) | opcode];
  const maskBit = o.unmasked ? 0 : 0x80;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  else {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((length >> BigInt(8 * i)) & 0xffn));
  }
  if (o.unmasked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** Opens a WebSocket by hand (so it can then break the protocol); resolves once the upgrade is answered. */
function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let reply = '';
    const onData = (chunk: Buffer): void => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (reply.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`handshake refused: ${reply.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('connect', () =>
      socket.write(
        [
          'GET / HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Protocol: ${PROTOCOL}`,
          '',
          '',
        ].join('\r\n'),
      ),
    );
  });
}

/** Resolves when the server closed the socket, or rejects after 5 s (the server kept a bad client). */
function closedByServer(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept a client that broke the protocol'));
    }, 5000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const MIB = 1024n * 1024n;
/** Protocol violations RFC 6455 (and our caps) forbid, each on its own connection. */
const BAD_FRAMES: Record<string, () => Buffer> = {
  'text with bad UTF-8': () => frame(0x1, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
  'reserved opcode 3': () => frame(0x3, new Uint8Array([1])),
  'unmasked frame': () => frame(0x1, Buffer.from('{"op":"x"}'), { unmasked: true }),
  'RSV1 without an extension': () => frame(0x1, Buffer.from('{}'), { rsv: 4 }),
  'length 2^63': () => frame(0x2, new Uint8Array(8), { length: 1n << 63n }),
  'frame over 100 MiB': () => frame(0x2, new Uint8Array(64), { length: 101n * MIB }),
  '90 MB frame, 2 MiB of it sent': () =>
    frame(0x2, new Uint8Array(Number(2n * MIB)), { length: 90_000_000n }).subarray(0, Number(2n * MIB)),
  'ping of 200 bytes': () => frame(0x9, new Uint8Array(200)),
};

describe('live Foxglove server under hostile local clients during a real-time replay', function () {
  this.timeout(60_000);
  let planner: Planner;
  let config: SvnavConfig;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    tmp = tempDir('live-fuzz');
    config = parseConfig({
      model: { dir: await tinyModelDir(), execution_providers: ['cpu'], allow_untrained: true },
    });
    planner = await loadTinyPlanner();
    await writeSmallBag(path.join(tmp.dir, 'in.mcap'), { duration_s: 4.5 });
  });
  after(async () => {
    await planner?.close();
    tmp?.cleanup();
  });

  it('drops each bad client alone; the replay runs to the end, plans keep flowing and the MCAP is complete', async () => {
    const errors: Error[] = [];
    const live = await FoxgloveLiveServer.start({
      port: 0,
      codec: replayCodec(),
      latchedTopics: latchedTopicsFor(config),
      maxClients: 8,
      onError: (e) => errors.push(e),
    });
    const output = path.join(tmp.dir, 'out.mcap');
    try {
      const replay = runReplay({
        input: path.join(tmp.dir, 'in.mcap'),
        output,
        instruction: 'walk to the orange wall',
        config,
        planner,
        mode: 'realtime',
        live,
      });
      // A well-behaved viewer that subscribes to the plans once they are advertised.
      const planData: number[] = [];
      const viewer = new WebSocket(live.url, [PROTOCOL]);
      viewer.on('error', () => undefined);
      viewer.on('message', (data, isBinary) => {
        if (!isBinary) {
          const m = JSON.parse(String(data)) as { op: string; channels?: { id: number; topic: string }[] };
          const plan = m.channels?.find((c) => c.topic === '/svnav/plan');
          if (plan)
            viewer.send(JSON.stringify({ op: 'subscribe', subscriptions: [{ id: 1, channelId: plan.id }] }));
        } else if ((data as Buffer)[0] === 1) planData.push(Date.now());
      });

      const started = Date.now();
      for (const [what, make] of Object.entries(BAD_FRAMES)) {
        const socket = await rawClient(live.port);
        socket.write(make());
        await closedByServer(socket).catch((err: Error) => assert.fail(`${what}: ${err.message}`));
      }
      // JSON-level abuse and a crowd: 20 clients at once against a cap of 8.
      const crowd = Array.from({ length: 20 }, (_, i) => {
        const ws = new WebSocket(live.url, [PROTOCOL]);
        ws.on('error', () => undefined);
        ws.on('open', () => {
          if (i % 3 === 0) ws.send('{"op":');
          else if (i % 3 === 1) ws.send(JSON.stringify({ op: 'subscribe', subscriptions: [{ id: -1 }] }));
        });
        return new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      });
      const codes = await Promise.all(crowd.map((c, i) => (i % 3 === 2 ? Promise.resolve(0) : c)));
      const fuzz_s = (Date.now() - started) / 1000;
      assert.ok(
        codes.every((c) => c === 1008 || c === 1013 || c === 0),
        `close codes ${codes.join(',')}`,
      );
      const plansBefore = planData.length;

      const report = await replay;
      assert.equal(report.aborted, false);
      assert.equal(report.input_damage, null);
      assert.ok(report.planner.plans! >= 2, `${report.planner.plans} plans`);
      assert.ok(planData.length > plansBefore || plansBefore >= 2, 'the viewer got no plans');
      assert.ok(
        live.droppedClients >= Object.keys(BAD_FRAMES).length,
        `${live.droppedClients} clients dropped`,
      );
      assert.ok(errors.length >= Object.keys(BAD_FRAMES).length);
      assert.ok(fuzz_s < 20, `fuzzing took ${fuzz_s} s`);
      viewer.terminate();

      // The output is a finished MCAP (summary written) holding every message the replay reports.
      const reader = await openBag(output);
      try {
        assert.equal(reader.indexed, true, 'output MCAP has no summary');
        const counts: Record<string, number> = {};
        const controllerStatus: string[] = [];
        for await (const m of reader.messages()) {
          counts[m.topic] = (counts[m.topic] ?? 0) + 1;
          if (m.topic === config.controller.status_topic)
            controllerStatus.push((m.message as { data: string }).data);
        }
        for (const [topic, n] of Object.entries(report.output_messages))
          assert.equal(counts[topic], n, topic);
        assert.ok(!controllerStatus.some((s) => /heartbeat/i.test(s)), controllerStatus.join(' | '));
      } finally {
        await reader.close();
      }
    } finally {
      await live.close();
    }
  });
});
