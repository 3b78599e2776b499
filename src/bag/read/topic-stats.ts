/**
 * Per-channel message count and first/last log time of an indexed MCAP file, from its MessageIndex records
 * (a few bytes per message) rather than from the chunks themselves.
 */
import { McapStreamReader, type McapIndexedReader } from '@mcap/core';
import type { TimeNs } from '../../messages/time';

export interface TopicStats {
  count: number;
  firstNs: TimeNs | undefined;
  lastNs: TimeNs | undefined;
}

interface RangeReadable {
  read(offset: bigint, length: bigint): Promise<Uint8Array>;
}

export async function indexedTopicStats(
  reader: McapIndexedReader,
  readable: RangeReadable,
): Promise<Map<number, TopicStats>> {
  const stats = new Map<number, TopicStats>();
  const add = (channelId: number, count: number, first: TimeNs, last: TimeNs): void => {
    const s = stats.get(channelId);
    if (!s) stats.set(channelId, { count, firstNs: first, lastNs: last });
    else {
      s.count += count;
      if (s.firstNs === undefined || first < s.firstNs) s.firstNs = first;
      if (s.lastNs === undefined || last > s.lastNs) s.lastNs = last;
    }
  };
  const haveIndexes = reader.chunkIndexes.every(
    (c) => c.messageIndexLength > 0n || c.messageIndexOffsets.size === 0,
  );
  if (!haveIndexes) {
    // No message indexes to consult: count by reading the messages (undecoded).
    for await (const m of reader.readMessages()) add(m.channelId, 1, m.logTime, m.logTime);
    return stats;
  }
  for (const chunk of reader.chunkIndexes) {
    if (chunk.messageIndexLength === 0n) continue;
    const bytes = await readable.read(chunk.chunkStartOffset + chunk.chunkLength, chunk.messageIndexLength);
    const stream = new McapStreamReader({ noMagicPrefix: true });
    stream.append(bytes);
    for (let r; (r = stream.nextRecord());) {
      if (r.type !== 'MessageIndex' || r.records.length === 0) continue;
      let first = r.records[0]![0];
      let last = first;
      for (const [t] of r.records) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
      add(r.channelId, r.records.length, first, last);
    }
  }
  for (const id of reader.channelsById.keys())
    if (!stats.has(id)) stats.set(id, { count: 0, firstNs: undefined, lastNs: undefined });
  return stats;
}
