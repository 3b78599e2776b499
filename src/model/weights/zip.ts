import { fstatSync } from 'node:fs';
import { CheckpointError, readExactly } from './checkpoint-io';

/** One member of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is a compression PyTorch never writes. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

const METHOD_NAMES: Record<number, string> = {
  8: 'deflate',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstd',
};

/**
 * Reads the central directory of a zip file (ZIP64 included: PyTorch writes it for files over 4 GiB). Only the
 * directory is read here; member data is read later by offset.
 */
export function readZipDirectory(fd: number, file: string): ZipEntry[] {
  const size = fstatSync(fd).size;
  const tailLen = Math.min(size, 22 + U16_MAX);
  const tail = new Uint8Array(tailLen);
  readExactly(fd, tail, size - tailLen, file, 'zip end record');
  const view = new DataView(tail.buffer);
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0)
    throw new CheckpointError(file, 'no zip end-of-central-directory record (truncated file, or not a zip)');
  let count = view.getUint16(at + 10, true);
  let cdSize = view.getUint32(at + 12, true);
  let cdOffset = view.getUint32(at + 16, true);
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    ({ count, cdSize, cdOffset } = readZip64End(fd, file, size - tailLen + at));
  }
  if (cdOffset + cdSize > size) {
    throw new CheckpointError(
      file,
      `zip central directory [${cdOffset}, ${cdOffset + cdSize}) lies beyond the file's ${size} bytes`,
    );
  }
  const cd = new Uint8Array(cdSize);
  readExactly(fd, cd, cdOffset, file, 'zip central directory');
  return parseCentralDirectory(cd, count, file);
}

function readZip64End(
  fd: number,
  file: string,
  eocdPos: number,
): { count: number; cdSize: number; cdOffset: number } {
  if (eocdPos < 20) throw new CheckpointError(file, 'zip64 end locator missing');
  const loc = new Uint8Array(20);
  readExactly(fd, loc, eocdPos - 20, file, 'zip64 end locator');
  const lv = new DataView(loc.buffer);
  if (lv.getUint32(0, true) !== ZIP64_LOCATOR) throw new CheckpointError(file, 'zip64 end locator missing');
  const recPos = safeNumber(lv.getBigUint64(8, true), file, 'zip64 end record offset');
  const rec = new Uint8Array(56);
  readExactly(fd, rec, recPos, file, 'zip64 end record');
  const rv = new DataView(rec.buffer);
  if (rv.getUint32(0, true) !== ZIP64_EOCD) throw new CheckpointError(file, 'zip64 end record missing');
  return {
    count: safeNumber(rv.getBigUint64(32, true), file, 'zip64 entry count'),
    cdSize: safeNumber(rv.getBigUint64(40, true), file, 'zip64 central directory size'),
    cdOffset: safeNumber(rv.getBigUint64(48, true), file, 'zip64 central directory offset'),
  };
}

function parseCentralDirectory(cd: Uint8Array, count: number, file: string): ZipEntry[] {
  const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.byteLength || v.getUint32(p, true) !== CENTRAL) {
      throw new CheckpointError(file, `zip central directory entry ${i} is damaged`);
    }
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.byteLength) {
      throw new CheckpointError(file, `zip central directory entry ${i} is damaged`);
    }
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    const entry: ZipEntry = {
      name,
      method: v.getUint16(p + 10, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      localHeaderOffset: v.getUint32(p + 42, true),
    };
    applyZip64Extra(entry, new DataView(cd.buffer, cd.byteOffset + p + 46 + nameLen, extraLen), file);
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** ZIP64 extra field (id 1): 64-bit values for the fields whose 32-bit slots hold 0xFFFFFFFF, in this order. */
function applyZip64Extra(e: ZipEntry, extra: DataView, file: string): void {
  let q = 0;
  while (q + 4 <= extra.byteLength) {
    const id = extra.getUint16(q, true);
    const len = extra.getUint16(q + 2, true);
    if (id === 1) {
      let r = q + 4;
      const next = (what: string): number => {
        if (r + 8 > q + 4 + len)
          throw new CheckpointError(file, `zip entry ${e.name}: zip64 field lacks ${what}`);
        const n = safeNumber(extra.getBigUint64(r, true), file, `zip entry ${e.name} ${what}`);
        r += 8;
        return n;
      };
      if (e.size === U32_MAX) e.size = next('size');
      if (e.compressedSize === U32_MAX) e.compressedSize = next('compressed size');
      if (e.localHeaderOffset === U32_MAX) e.localHeaderOffset = next('offset');
    }
    q += 4 + len;
  }
}

/** Byte offset of an entry's data, after its local header; refuses compressed entries and data past the end. */
export function entryDataOffset(fd: number, e: ZipEntry, file: string): number {
  if (e.method !== 0) {
    const how = METHOD_NAMES[e.method] ?? `method ${e.method}`;
    throw new CheckpointError(
      file,
      `zip entry ${e.name} is compressed (${how}); PyTorch checkpoints store every entry uncompressed`,
    );
  }
  const head = new Uint8Array(30);
  readExactly(fd, head, e.localHeaderOffset, file, `zip entry ${e.name}`);
  const v = new DataView(head.buffer);
  if (v.getUint32(0, true) !== LOCAL)
    throw new CheckpointError(file, `zip entry ${e.name}: local header missing`);
  const start = e.localHeaderOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
  const size = fstatSync(fd).size;
  if (start + e.size > size) {
    throw new CheckpointError(
      file,
      `zip entry ${e.name}: data [${start}, ${start + e.size}) lies beyond the file's ${size} bytes (truncated)`,
    );
  }
  return start;
}

function safeNumber(x: bigint, file: string, what: string): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(file, `${what} ${x} is too large`);
  return Number(x);
}
