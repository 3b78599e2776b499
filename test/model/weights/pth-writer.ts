import { crc32, deflateRawSync } from 'node:zlib';

/*
 * Test-side writers for PyTorch-style zip checkpoints: a small pickle assembler (opcode by opcode, so tests can
 * also write hostile pickles) and a stored/deflated zip writer with optional ZIP64 records.
 */

export class PickleBytes {
  readonly #parts: number[] = [];

  op(code: number, ...bytes: number[]): this {
    this.#parts.push(code, ...bytes);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.#parts.push(...bytes);
    return this;
  }
  proto(v = 2): this {
    return this.op(0x80, v);
  }
  mark(): this {
    return this.op(0x28);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return this.op(0x4a, ...b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return this.op(0x58, ...len, ...b);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).op(0x93);
  }
  tuple(): this {
    return this.op(0x74);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  reduce(): this {
    return this.op(0x52);
  }
  setitems(): this {
    return this.op(0x75);
  }
  stop(): this {
    return this.op(0x2e);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}

export interface TensorSpec {
  name: string;
  storageClass: string;
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

function rowMajor(shape: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** The pickle torch.save writes for an OrderedDict state dict (protocol 2, GLOBAL + REDUCE, BINPERSID). */
export function stateDictPickle(tensors: TensorSpec[]): Uint8Array {
  const p = new PickleBytes().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of tensors) {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark()
      .str('storage')
      .global('torch', t.storageClass)
      .str(t.key)
      .str('cpu')
      .int(t.numel)
      .tuple()
      .op(0x51);
    p.int(t.offset ?? 0).mark();
    for (const d of t.shape) p.int(d);
    p.tuple().mark();
    for (const d of t.stride ?? rowMajor(t.shape)) p.int(d);
    p.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }
  return p.setitems().stop().bytes();
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** 0 stored (default), 8 deflate. */
  method?: number;
}

/** A zip archive in memory; `zip64` writes the 64-bit records even for small files (to test that path). */
export function zipBytes(members: ZipMember[], zip64 = false): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const method = m.method ?? 0;
    const stored = method === 8 ? deflateRawSync(m.data) : Buffer.from(m.data);
    const name = Buffer.from(m.name, 'utf8');
    const extra = zip64 ? zip64Extra(m.data.length, stored.length, offset) : Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(m.data), 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : stored.length, 18);
    local.writeUInt32LE(zip64 ? 0xffffffff : m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(zip64 ? 45 : 20, 4);
    cd.writeUInt16LE(zip64 ? 45 : 20, 6);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(crc32(m.data), 16);
    cd.writeUInt32LE(zip64 ? 0xffffffff : stored.length, 20);
    cd.writeUInt32LE(zip64 ? 0xffffffff : m.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(extra.length, 30);
    cd.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    locals.push(local, name, extra, stored);
    central.push(cd, name, extra);
    offset += 30 + name.length + extra.length + stored.length;
  }
  const cdBytes = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) tail.push(zip64End(members.length, cdBytes.length, offset));
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : members.length, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : members.length, 10);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cdBytes.length, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...locals, cdBytes, ...tail, eocd]);
}

function zip64Extra(size: number, compressed: number, offset: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(1, 0);
  b.writeUInt16LE(24, 2);
  b.writeBigUInt64LE(BigInt(size), 4);
  b.writeBigUInt64LE(BigInt(compressed), 12);
  b.writeBigUInt64LE(BigInt(offset), 20);
  return b;
}

function zip64End(count: number, cdSize: number, cdOffset: number): Buffer {
  const rec = Buffer.alloc(56);
  rec.writeUInt32LE(0x06064b50, 0);
  rec.writeBigUInt64LE(44n, 4);
  rec.writeUInt16LE(45, 12);
  rec.writeUInt16LE(45, 14);
  rec.writeBigUInt64LE(BigInt(count), 24);
  rec.writeBigUInt64LE(BigInt(count), 32);
  rec.writeBigUInt64LE(BigInt(cdSize), 40);
  rec.writeBigUInt64LE(BigInt(cdOffset), 48);
  const loc = Buffer.alloc(20);
  loc.writeUInt32LE(0x07064b50, 0);
  loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
  loc.writeUInt32LE(1, 16);
  return Buffer.concat([rec, loc]);
}

/** A whole checkpoint: `archive/data.pkl`, `archive/byteorder` and one member per storage. */
export function pthBytes(pickle: Uint8Array, storages: Record<string, Uint8Array>, zip64 = false): Buffer {
  const members: ZipMember[] = [
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...Object.entries(storages).map(([key, data]) => ({ name: `archive/data/${key}`, data })),
  ];
  return zipBytes(members, zip64);
}
