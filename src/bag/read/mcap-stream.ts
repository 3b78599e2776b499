/**
 * Sequential record reading of an MCAP file that may lack a summary or be damaged: every record before the
 * damage is delivered, then one `damage` item names the byte offset where reading stopped.
 */
import { open } from 'node:fs/promises';
import { McapStreamReader, type DecompressHandlers, type TypedMcapRecord } from '@mcap/core';
import { BagError, describeError } from '../errors';

export type StreamItem =
  { kind: 'record'; record: TypedMcapRecord; offset: bigint } | { kind: 'damage'; error: BagError };

const BLOCK_SIZE = 1 << 20;

/**
 * Yields the file's records in file order; chunk contents follow their Chunk record, and `offset` is that of
 * the top-level record (the chunk for records inside one). Ends with a `damage` item when the file is truncated,
 * corrupt, or ends without a footer.
 */
export async function* streamMcapRecords(
  path: string,
  decompressHandlers: DecompressHandlers,
): AsyncGenerator<StreamItem> {
  const handle = await open(path, 'r');
  const reader = new McapStreamReader({ includeChunks: true, decompressHandlers });
  const block = new Uint8Array(BLOCK_SIZE);
  let appended = 0n;
  let chunkStart = -1n;
  let insideChunk = false;
  const position = (): bigint => appended - BigInt(reader.bytesRemaining());
  try {
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, BLOCK_SIZE, null);
      if (bytesRead === 0) break;
      reader.append(block.subarray(0, bytesRead));
      appended += BigInt(bytesRead);
      for (;;) {
        const before = position();
        let record: TypedMcapRecord | undefined;
        try {
          record = reader.nextRecord();
        } catch (err) {
          // A failure after a Chunk record and before the next top-level one (decompression, CRC, a bad inner
          // record) is reported at the chunk's start.
          const offset = insideChunk ? chunkStart : before;
          yield {
            kind: 'damage',
            error: new BagError(`unreadable MCAP data: ${describeError(err)}`, path, offset, { cause: err }),
          };
          return;
        }
        if (!record) break;
        const topLevel = position() !== before;
        if (topLevel) insideChunk = record.type === 'Chunk';
        if (record.type === 'Chunk') chunkStart = before;
        yield { kind: 'record', record, offset: topLevel ? before : chunkStart };
      }
      if (reader.done()) return;
    }
    if (!reader.done()) {
      const at = position();
      const reason =
        reader.bytesRemaining() > 0
          ? `file truncated: incomplete record (${reader.bytesRemaining()} bytes) at the end`
          : 'file ends without summary and footer (recording cut off?)';
      yield { kind: 'damage', error: new BagError(reason, path, at) };
    }
  } finally {
    await handle.close();
  }
}
