import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { FileHandleReadable, FileHandleWritable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { BagError } from '../../src/bag/errors';
import { openBag, type BagReader, type BagMessage } from '../../src/bag/reader';
import { BagWriter } from '../../src/bag/writer';
import { ZSTD_BAG, tempDir } from './helpers';

/** Chunk layout of the zstd fixture, read with @mcap/core itself. */
async function chunkLayout(file: string): Promise<{ start: bigint; end: bigint; messages: number }[]> {
  const handle = await open(file, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await loadDecompressHandlers(),
    });
    const stats = reader.chunkIndexes.map((c) => ({
      start: c.chunkStartOffset,
      end: c.chunkStartOffset + c.chunkLength,
      messages: 0,
    }));
    const lastTimes = reader.chunkIndexes.map((c) => c.messageEndTime);
    // Chunks of this recording are in time order and do not overlap.
    for await (const m of reader.readMessages())
      stats[lastTimes.findIndex((t) => m.logTime <= t)]!.messages++;
    return stats;
  } finally {
    await handle.close();
  }
}

async function drain(reader: BagReader): Promise<{ messages: BagMessage[]; error: unknown }> {
  const messages: BagMessage[] = [];
  try {
    for await (const m of reader.messages()) messages.push(m);
    return { messages, error: undefined };
  } catch (error) {
    return { messages, error };
  }
}

describe('bag reader on damaged files', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir('damage')));
  after(() => tmp.cleanup());

  it('a bag truncated mid-chunk: delivers the complete chunks, then a BagError naming file and offset', async () => {
    const chunks = await chunkLayout(ZSTD_BAG);
    assert.equal(chunks.length, 2);
    const cut = path.join(tmp.dir, 'truncated.mcap');
    const cutAt = Number(chunks[1]!.start + (chunks[1]!.end - chunks[1]!.start) / 2n);
    writeFileSync(cut, readFileSync(ZSTD_BAG).subarray(0, cutAt));

    const reader = await openBag(cut);
    assert.equal(reader.indexed, false);
    assert.ok(reader.damage instanceof BagError);
    assert.equal(reader.topics().length, 5, 'channels before the damage are known');
    const { messages, error } = await drain(reader);
    assert.equal(messages.length, chunks[0]!.messages);
    assert.ok(error instanceof BagError, `expected a BagError, got ${String(error)}`);
    assert.equal(error.file, cut);
    assert.equal(error.offset, chunks[1]!.start);
    assert.match(error.message, /truncated/);
    assert.ok(error.message.includes(cut) && error.message.includes(`at byte ${chunks[1]!.start}`));
  });

  it('a corrupt chunk in an indexed file is skipped with a warning naming it; every other chunk is read', async () => {
    const chunks = await chunkLayout(ZSTD_BAG);
    for (const broken of [0, 1]) {
      const bad = path.join(tmp.dir, `corrupt-${broken}.mcap`);
      const bytes = Buffer.from(readFileSync(ZSTD_BAG));
      // Break the zstd frame header at the start of the chunk's records (after opcode, length, times, size,
      // CRC, "zstd" and the records length); corruption deep inside JPEG bytes would go unnoticed, as rosbag2
      // writes no chunk CRCs.
      const records = Number(chunks[broken]!.start) + 1 + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 8;
      for (let i = records; i < records + 16; i++) bytes[i] = bytes[i]! ^ 0x5a;
      writeFileSync(bad, bytes);

      const warnings: BagError[] = [];
      const reader = await openBag(bad, { onWarning: (w) => warnings.push(w) });
      assert.equal(reader.indexed, true, 'the summary is intact');
      const { messages, error } = await drain(reader);
      await reader.close();
      assert.equal(error, undefined, 'reading goes on past the corrupt chunk');
      assert.equal(messages.length, chunks[1 - broken]!.messages, `chunk ${broken} broken`);
      assert.equal(reader.skippedChunks.length, 1);
      const skipped = reader.skippedChunks[0]!;
      assert.equal(skipped.offset, chunks[broken]!.start);
      assert.match(skipped.message, /corrupt chunk .*its messages are skipped, the rest of the file is read/);
      assert.ok(skipped.message.includes(bad));
      assert.deepEqual(warnings, [skipped]);
    }
  });

  it('a recording cut off before its summary: the written chunks are readable by streaming', async () => {
    const file = path.join(tmp.dir, 'cutoff.mcap');
    const writer = await BagWriter.create(file, { chunkSize: 2048 });
    const twist = (x: number): unknown => ({ linear: { x, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
    for (let i = 0; i < 200; i++)
      await writer.write('/cmd_vel', 'geometry_msgs/msg/Twist', BigInt(i) * 50_000_000n, twist(i));
    // The process "dies" here: no close(). Whole chunks are already in the partial file beside the target,
    // and nothing is at the target's name yet.
    assert.equal(existsSync(file), false);
    const reader = await openBag(writer.partialPath);
    assert.equal(reader.indexed, false);
    const { messages, error } = await drain(reader);
    assert.ok(messages.length >= 150 && messages.length < 200, `${messages.length} of 200 messages readable`);
    assert.deepEqual(
      messages.map((m) => (m.message as { linear: { x: number } }).linear.x),
      messages.map((_m, i) => i),
    );
    assert.ok(error instanceof BagError);
    assert.match(error.message, /without summary and footer|truncated/);
    await writer.close();
    assert.equal(existsSync(writer.partialPath), false);
    const closed = await openBag(file);
    assert.equal(closed.indexed, true);
    assert.equal(closed.messageCount, 200);
    await closed.close();
  });

  it('a message that fails to decode is reported with topic and time; the rest continue', async () => {
    const file = path.join(tmp.dir, 'undecodable.mcap');
    const handle = await open(file, 'w');
    const w = new McapWriter({ writable: new FileHandleWritable(handle) });
    await w.start({ profile: 'ros2', library: 'test' });
    const schemaId = await w.registerSchema({
      name: 'std_msgs/msg/String',
      encoding: 'ros2msg',
      data: new TextEncoder().encode('string data\n'),
    });
    const ch = await w.registerChannel({
      topic: '/chatter',
      schemaId,
      messageEncoding: 'cdr',
      metadata: new Map(),
    });
    const good = Uint8Array.of(0, 1, 0, 0, 3, 0, 0, 0, 0x68, 0x69, 0); // CDR little-endian "hi"
    const truncated = Uint8Array.of(0, 1, 0, 0, 200, 0, 0, 0, 0x68); // claims 200 bytes, has 1
    for (const [t, data] of [
      [1n, good],
      [2n, truncated],
      [3n, good],
    ] as const) {
      await w.addMessage({ channelId: ch, sequence: Number(t), logTime: t, publishTime: t, data });
    }
    await w.end();
    await handle.close();

    const warnings: BagError[] = [];
    const reader = await openBag(file, { onWarning: (e) => warnings.push(e) });
    const { messages, error } = await drain(reader);
    await reader.close();
    assert.equal(error, undefined);
    assert.deepEqual(
      messages.map((m) => [m.logTimeNs, (m.message as { data: string }).data]),
      [
        [1n, 'hi'],
        [3n, 'hi'],
      ],
    );
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!.message,
      /topic \/chatter at log time 2 ns: cannot CDR-decode std_msgs\/msg\/String/,
    );
  });

  it('a topic without a usable schema is reported once, naming the type', async () => {
    const file = path.join(tmp.dir, 'noschema.mcap');
    const handle = await open(file, 'w');
    const w = new McapWriter({ writable: new FileHandleWritable(handle) });
    await w.start({ profile: 'ros2', library: 'test' });
    const empty = await w.registerSchema({
      name: 'acme_msgs/msg/Widget',
      encoding: 'ros2msg',
      data: new Uint8Array(),
    });
    const a = await w.registerChannel({
      topic: '/widget',
      schemaId: empty,
      messageEncoding: 'cdr',
      metadata: new Map(),
    });
    const b = await w.registerChannel({
      topic: '/raw',
      schemaId: 0,
      messageEncoding: 'cdr',
      metadata: new Map(),
    });
    for (const t of [1n, 2n]) {
      await w.addMessage({
        channelId: a,
        sequence: 0,
        logTime: t,
        publishTime: t,
        data: Uint8Array.of(0, 1, 0, 0),
      });
      await w.addMessage({
        channelId: b,
        sequence: 0,
        logTime: t,
        publishTime: t,
        data: Uint8Array.of(0, 1, 0, 0),
      });
    }
    await w.end();
    await handle.close();

    const warnings: string[] = [];
    const reader = await openBag(file, { onWarning: (e) => warnings.push(e.message) });
    const { messages } = await drain(reader);
    assert.equal(messages.length, 0);
    assert.equal(warnings.length, 2);
    assert.match(
      warnings.find((m) => m.includes('/widget'))!,
      /acme_msgs\/msg\/Widget is empty/,
    );
    assert.match(
      warnings.find((m) => m.includes('/raw'))!,
      /no schema record \(schema id 0\)/,
    );
    // Undecoded access still works.
    assert.equal(
      await (async () => {
        let n = 0;
        for await (const _m of reader.messages({ decode: false })) n++;
        return n;
      })(),
      4,
    );
    await reader.close();
  });

  it('a file that is not MCAP is refused with a BagError naming it', async () => {
    const file = path.join(tmp.dir, 'not.mcap');
    writeFileSync(file, 'this is not a bag at all, just text that goes on for a while');
    await assert.rejects(openBag(file), (e: unknown) => e instanceof BagError && e.message.includes(file));
    await assert.rejects(openBag(path.join(tmp.dir, 'missing.mcap')), /cannot open bag: ENOENT/);
  });
});
