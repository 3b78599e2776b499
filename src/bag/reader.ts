/**
 * Reading rosbag2 MCAP files without ROS: one interface (`BagReader`) over two access patterns, as @mcap has
 * an indexed and a stream reader. `openBag` picks the indexed reader when the file has a usable summary and
 * falls back to streaming for damaged or unindexed files; read/indexed.ts and read/streaming.ts say how each
 * treats damage.
 */
export { openBag } from './read/open';
export type { BagMessage, BagMessagesOptions, BagReader, BagReaderOptions, BagTopic } from './read/types';
