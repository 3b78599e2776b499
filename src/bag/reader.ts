/**
 * Reading rosbag2 MCAP files without ROS: one interface (`BagReader`) over two access patterns, as @mcap has
 * an indexed and a stream reader. `openBag` picks the indexed reader when the file has a usable summary and
 * falls back to streaming for damaged or unindexed files; read/indexed.ts and read/streaming.ts say how each
 * treats damage.
 */
import { openBag } from './read/open';
import type { BagReader as Reader, BagReaderOptions } from './read/types';

export { openBag } from './read/open';
export type { BagMessage, BagMessagesOptions, BagReaderOptions, BagTopic } from './read/types';
export type BagReader = Reader;

/** `BagReader.open(path)` reads as the call sites always have; it is `openBag`. */
export const BagReader: { open(path: string, options?: BagReaderOptions): Promise<Reader> } = {
  open: openBag,
};
