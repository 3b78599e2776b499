import { open, type FileHandle } from 'node:fs/promises';
import { loadDecompressHandlers } from '@mcap/support';
import { BagError, describeError } from '../errors';
import { checkBagPath, checkMagic } from './file-checks';
import { IndexedBagReader } from './indexed';
import { StreamingBagReader } from './streaming';
import type { BagReader, BagReaderOptions } from './types';

/**
 * Opens a rosbag2 MCAP file: indexed (random access through the summary) when the file has a usable summary,
 * otherwise streamed from the start (a recording cut off, a truncated copy). A path that is not an MCAP file
 * (a directory, a ROS 1 bag, a SQLite bag, an empty file) is refused with a BagError that names it.
 */
export async function openBag(path: string, options: BagReaderOptions = {}): Promise<BagReader> {
  await checkBagPath(path);
  const handlers = await loadDecompressHandlers();
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new BagError(`cannot open bag: ${describeError(err)}`, path, undefined, { cause: err });
  }
  try {
    await checkMagic(path, handle);
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (!options.forceStreaming) {
    try {
      return await IndexedBagReader.open(path, handle, handlers, options);
    } catch {
      // No usable summary (or not indexed): stream the file instead; that pass also finds any damage.
    }
  }
  await handle.close();
  return await StreamingBagReader.open(path, handlers, options);
}
