/** What is checked before any MCAP parsing: the path is a file, and it starts like MCAP rather than another format. */
import { readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BagError } from '../errors';

const CONVERT_HINT =
  'svnav reads rosbag2 MCAP: convert it with `ros2 bag convert` (storage_id: mcap) or `rosbags-convert`';

/** A directory (a rosbag2 bag directory, say) is refused with the file to open instead. */
export async function checkBagPath(path: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(path)).isDirectory()) return;
    entries = await readdir(path);
  } catch {
    return; // open() reports a missing or unreadable file.
  }
  const mcaps = entries.filter((e) => e.endsWith('.mcap')).sort();
  const db3 = entries.filter((e) => e.endsWith('.db3'));
  const what = entries.includes('metadata.yaml') ? 'a rosbag2 bag directory' : 'a directory';
  const hint =
    mcaps.length > 0
      ? `open its MCAP file${mcaps.length > 1 ? 's one by one' : ''}: ${mcaps.map((m) => join(path, m)).join(', ')}`
      : db3.length > 0
        ? `it holds SQLite storage (${db3.join(', ')}); ${CONVERT_HINT}`
        : 'it holds no .mcap file';
  throw new BagError(`is ${what}, not an MCAP file; ${hint}`, path);
}

/** Reads the file's first bytes and refuses anything that is not MCAP, naming the format when it is a known one. */
export async function checkMagic(path: string, handle: FileHandle): Promise<void> {
  const buffer = Buffer.alloc(16);
  const { bytesRead } = await handle.read(buffer, 0, 16, 0);
  const prefix = buffer.subarray(0, bytesRead);
  const text = prefix.toString('latin1');
  if (prefix.length === 0) throw new BagError('is empty (0 bytes), not an MCAP file', path, 0n);
  if (text.startsWith('\x89MCAP0\r\n')) return;
  if (text.startsWith('#ROSBAG'))
    throw new BagError(`is a ROS 1 bag, not ROS 2 MCAP; ${CONVERT_HINT}`, path, 0n);
  if (text.startsWith('SQLite format 3')) {
    throw new BagError(`is a SQLite database (a rosbag2 .db3 bag?), not MCAP; ${CONVERT_HINT}`, path, 0n);
  }
  throw new BagError('is not an MCAP file (it does not start with the MCAP magic bytes)', path, 0n);
}
