import { strict as assert } from 'node:assert';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { CdrCodec } from '../../src/bag/codec';
import { BagError } from '../../src/bag/errors';
import { offeredQosYaml, SENSOR_QOS } from '../../src/bag/qos';
import { openBag } from '../../src/bag/reader';
import { SCHEMA_SEPARATOR } from '../../src/bag/schemas';
import { BagWriter } from '../../src/bag/writer';
import { collect, plain, tempDir } from './helpers';
import { SAMPLE_MESSAGES } from './messages';

describe('bag writer', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const t0 = 1_700_000_000_000_000_000n;

  before(async () => {
    tmp = tempDir('writer');
    file = path.join(tmp.dir, 'roundtrip.mcap');
    const writer = await BagWriter.create(file, {
      qosProfiles: { '/camera/image_raw/compressed': offeredQosYaml(SENSOR_QOS) },
    });
    // Written without awaiting each call: the writer queues them.
    const pending = SAMPLE_MESSAGES.flatMap((s, i) => [
      writer.write(s.topic, s.type, t0 + BigInt(i) * 1000n, s.message),
      writer.write(s.topic, s.type, t0 + BigInt(i) * 1000n + 500n, s.message, t0 + BigInt(i) * 1000n + 400n),
    ]);
    await Promise.all(pending);
    await writer.close();
  });
  after(() => tmp.cleanup());

  it('every message type the package writes decodes back equal with our reader', async () => {
    const reader = await openBag(file);
    try {
      assert.ok(reader.indexed);
      const messages = await collect(reader.messages());
      assert.equal(messages.length, SAMPLE_MESSAGES.length * 2);
      SAMPLE_MESSAGES.forEach((s, i) => {
        for (const m of messages.slice(2 * i, 2 * i + 2)) {
          assert.equal(m.topic, s.topic);
          assert.equal(m.type, s.type);
          assert.deepEqual(plain(m.message), plain(s.message), `${s.type} round trip`);
        }
        assert.equal(messages[2 * i + 1]!.publishTimeNs, t0 + BigInt(i) * 1000n + 400n);
        assert.deepEqual(
          messages.slice(2 * i, 2 * i + 2).map((m) => m.sequence),
          [0, 1],
        );
      });
    } finally {
      await reader.close();
    }
  });

  it('is a rosbag2 MCAP for @mcap/core: ros2 profile, ros2msg schemas, cdr, zstd chunks, statistics', async () => {
    const handle = await open(file, 'r');
    try {
      const reader = await McapIndexedReader.Initialize({
        readable: new FileHandleReadable(handle),
        decompressHandlers: await loadDecompressHandlers(),
      });
      assert.equal(reader.header.profile, 'ros2');
      assert.match(reader.header.library, /sparse_video_nav/);
      assert.ok(reader.statistics, 'Statistics record (ros2 bag play needs it)');
      assert.equal(reader.statistics.messageCount, BigInt(SAMPLE_MESSAGES.length * 2));
      assert.equal(reader.statistics.channelCount, SAMPLE_MESSAGES.length);
      assert.ok(reader.chunkIndexes.length > 0 && reader.chunkIndexes.every((c) => c.compression === 'zstd'));
      const codec = new CdrCodec();
      for (const channel of reader.channelsById.values()) {
        const schema = reader.schemasById.get(channel.schemaId)!;
        const sample = SAMPLE_MESSAGES.find((s) => s.topic === channel.topic)!;
        assert.equal(schema.name, sample.type);
        assert.equal(schema.encoding, 'ros2msg');
        assert.equal(channel.messageEncoding, 'cdr');
        assert.ok(channel.metadata.has('offered_qos_profiles'));
        const text = new TextDecoder().decode(schema.data);
        assert.equal(text, codec.schemaOf(sample.type));
        if (text.includes('MSG: ')) assert.ok(text.includes(`\n${SCHEMA_SEPARATOR}\nMSG: `));
      }
      const camera = [...reader.channelsById.values()].find(
        (c) => c.topic === '/camera/image_raw/compressed',
      )!;
      assert.match(camera.metadata.get('offered_qos_profiles')!, /reliability: best_effort/);
      const raw = await collect(reader.readMessages({ topics: ['/svnav/plan'] }));
      assert.equal(raw.length, 2);
      const plan = SAMPLE_MESSAGES.find((s) => s.topic === '/svnav/plan')!;
      assert.deepEqual(plain(codec.decode(plan.type, raw[0]!.data)), plain(plan.message));
    } finally {
      await handle.close();
    }
  });

  it('close() is idempotent and later writes are refused', async () => {
    const f = path.join(tmp.dir, 'closed.mcap');
    const writer = await BagWriter.create(f, { compression: 'none' });
    await writer.write('/estop', 'std_msgs/msg/Bool', 5n, { data: true });
    const [a, b] = [writer.close(), writer.close()];
    assert.equal(a, b);
    await a;
    assert.ok(writer.closed);
    await assert.rejects(
      writer.write('/estop', 'std_msgs/msg/Bool', 6n, { data: false }),
      (e: unknown) => e instanceof BagError && /after close/.test(e.message),
    );
    const reader = await openBag(f);
    assert.equal(reader.messageCount, 1);
    await reader.close();
  });

  it('refuses a second type on a topic, an unknown type and a negative time, naming them', async () => {
    const f = path.join(tmp.dir, 'refused.mcap');
    const writer = await BagWriter.create(f);
    await writer.write('/x', 'std_msgs/msg/Bool', 1n, { data: true });
    await assert.rejects(
      writer.write('/x', 'std_msgs/msg/String', 2n, { data: 'a' }),
      /topic \/x has type std_msgs\/msg\/Bool, cannot write std_msgs\/msg\/String/,
    );
    await assert.rejects(
      writer.write('/y', 'acme_msgs/msg/Widget', 2n, {}),
      /no message definition for acme_msgs\/Widget/,
    );
    await assert.rejects(
      writer.write('/x', 'std_msgs/msg/Bool', -1n, { data: true }),
      /negative log time -1/,
    );
    await writer.write('/x', 'std_msgs/msg/Bool', 3n, { data: false });
    await writer.close();
    const reader = await openBag(f);
    assert.deepEqual(
      (await collect(reader.messages<{ data: boolean }>())).map((m) => m.message.data),
      [true, false],
    );
    await reader.close();
  });
});
