import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CdrWriter } from '@foxglove/cdr';
import { ensureUtf8CdrStrings } from '../../src/bag/cdr-utf8';
import { CdrCodec } from '../../src/bag/codec';
import { BagError } from '../../src/bag/errors';
import { openBag } from '../../src/bag/reader';
import { BagWriter } from '../../src/bag/writer';
import { collect, RAW_BAG, tempDir } from './helpers';

const rejection = async (p: Promise<unknown>): Promise<BagError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BagError, `expected a BagError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
};

describe('bag formats and text', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir('formats')));
  after(() => tmp.cleanup());

  describe('UTF-8 strings in CDR', () => {
    const texts = [
      '向前走，找到一把木椅子，然后停在它旁边',
      'gehe zur Tür — dann links 🚪',
      'идти вперёд',
      'plain ascii',
      '',
    ];

    it('CdrWriter writes the UTF-8 byte length (the installed @foxglove/cdr needs our fix)', () => {
      ensureUtf8CdrStrings();
      const w = new CdrWriter();
      w.string('向前');
      // 4 header + u32 length 7 (6 UTF-8 bytes + NUL) + 7 bytes.
      assert.equal(w.data.byteLength, 15);
      assert.equal(new DataView(w.data.buffer).getUint32(4, true), 7);
    });

    it('round-trips non-ASCII instructions through the codec byte-exactly', () => {
      const codec = new CdrCodec();
      for (const data of texts) {
        const bytes = codec.encode('std_msgs/msg/String', { data });
        assert.equal(codec.decode<{ data: string }>('std_msgs/msg/String', bytes).data, data);
        assert.equal(
          new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true),
          Buffer.byteLength(data) + 1,
        );
      }
    });

    it('round-trips non-ASCII text through the bag writer and reader, strings inside nested messages too', async () => {
      const file = path.join(tmp.dir, 'utf8.mcap');
      const writer = await BagWriter.create(file);
      for (const [i, data] of texts.entries()) {
        await writer.write('/svnav/instruction', 'std_msgs/msg/String', BigInt(i + 1), { data });
      }
      const frame_id = 'камера_前';
      await writer.write('/tf', 'tf2_msgs/msg/TFMessage', 10n, {
        transforms: [
          {
            header: { stamp: { sec: 1, nanosec: 0 }, frame_id },
            child_frame_id: 'base_link',
            transform: { translation: { x: 1, y: 2, z: 3 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
          },
        ],
      });
      await writer.close();
      const reader = await openBag(file);
      const got = await collect(reader.messages());
      await reader.close();
      assert.deepEqual(
        got.filter((m) => m.topic === '/svnav/instruction').map((m) => (m.message as { data: string }).data),
        texts,
      );
      const tf = got.find((m) => m.topic === '/tf')!.message as {
        transforms: {
          header: { frame_id: string };
          child_frame_id: string;
          transform: { translation: { z: number } };
        }[];
      };
      assert.equal(tf.transforms[0]!.header.frame_id, frame_id);
      assert.equal(
        tf.transforms[0]!.child_frame_id,
        'base_link',
        'fields after the string are aligned correctly',
      );
      assert.equal(tf.transforms[0]!.transform.translation.z, 3);
    });
  });

  describe('what is not an MCAP file is named', () => {
    it('a rosbag2 directory: names its .mcap file(s)', async () => {
      const dir = path.join(tmp.dir, 'go2_raw');
      mkdirSync(dir);
      copyFileSync(RAW_BAG, path.join(dir, 'go2_raw_0.mcap'));
      writeFileSync(path.join(dir, 'metadata.yaml'), 'rosbag2_bagfile_information: {}\n');
      const err = await rejection(openBag(dir));
      assert.match(
        err.message,
        /is a rosbag2 bag directory, not an MCAP file; open its MCAP file: .*go2_raw_0\.mcap/,
      );
      assert.ok(!/EISDIR/.test(err.message));
    });

    it('a rosbag2 SQLite directory and a .db3 file: says to convert', async () => {
      const dir = path.join(tmp.dir, 'sqlite_bag');
      mkdirSync(dir);
      const db3 = path.join(dir, 'sqlite_bag_0.db3');
      writeFileSync(db3, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(100)]));
      writeFileSync(path.join(dir, 'metadata.yaml'), 'x: 1\n');
      assert.match(
        (await rejection(openBag(dir))).message,
        /SQLite storage \(sqlite_bag_0\.db3\).*ros2 bag convert/,
      );
      assert.match(
        (await rejection(openBag(db3))).message,
        /is a SQLite database \(a rosbag2 \.db3 bag\?\), not MCAP; .*ros2 bag convert/,
      );
    });

    it('a ROS 1 bag: says it is ROS 1 and how to convert', async () => {
      const bag = path.join(tmp.dir, 'old.bag');
      writeFileSync(bag, '#ROSBAG V2.0\n' + 'x'.repeat(100));
      const err = await rejection(openBag(bag));
      assert.match(err.message, /is a ROS 1 bag, not ROS 2 MCAP; .*rosbags-convert/);
      assert.equal(err.offset, 0n);
    });

    it('an empty file and a text file are named as such', async () => {
      const empty = path.join(tmp.dir, 'empty.mcap');
      writeFileSync(empty, '');
      assert.match((await rejection(openBag(empty))).message, /is empty \(0 bytes\)/);
      const text = path.join(tmp.dir, 'notes.mcap');
      writeFileSync(text, 'hello');
      assert.match((await rejection(openBag(text))).message, /does not start with the MCAP magic/);
    });
  });

  describe('the writer never leaves a partial file under the target name', () => {
    it('discard() removes the partial file and nothing appears at the path', async () => {
      const file = path.join(tmp.dir, 'discarded.mcap');
      const writer = await BagWriter.create(file);
      await writer.write('/x', 'std_msgs/msg/Bool', 1n, { data: true });
      await writer.discard();
      await assert.rejects(openBag(file), /ENOENT/);
      await assert.rejects(openBag(writer.partialPath), /ENOENT/);
    });

    it('close() will not replace an existing file unless asked, and says where the new bag is', async () => {
      const file = path.join(tmp.dir, 'appeared.mcap');
      const writer = await BagWriter.create(file);
      await writer.write('/x', 'std_msgs/msg/Bool', 1n, { data: true });
      writeFileSync(file, 'appeared meanwhile');
      await assert.rejects(
        writer.close(),
        /appeared while it was being written; the new output is at .*partial/,
      );
      assert.equal(readFileSync(file, 'utf8'), 'appeared meanwhile');
      const kept = await openBag(writer.partialPath);
      assert.equal(kept.indexed, true, 'the finished bag is kept under its partial name');
      await kept.close();
    });
  });
});
