import { CheckpointError, type StoredDType } from './checkpoint-io';

/*
 * A restricted unpickler for PyTorch state dicts, written from the pickle protocol (opcodes of protocols 2–5).
 * It builds plain data only: dicts, lists, tuples, numbers, strings, and descriptions of tensors. Globals are
 * names checked against an allow-list and never resolved to code; REDUCE and BUILD apply only to those names,
 * and are interpreted here (nothing in the file is executed). Everything else is refused with an error naming it.
 */

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}
export class PickleList {
  constructor(readonly items: PickleValue[]) {}
}
export class PickleDict {
  readonly map = new Map<string | number | boolean | null, PickleValue>();
}
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A storage named by a persistent id: its bytes are the zip entry `data/<key>`. */
export class PickleStorage {
  constructor(
    readonly dtype: StoredDType,
    readonly key: string,
    readonly numel: number,
  ) {}
}
/** A tensor view on a storage (element offset and strides as torch records them). */
export class PickleTensor {
  constructor(
    readonly storage: PickleStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export type PickleValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PickleTuple
  | PickleList
  | PickleDict
  | PickleGlobal
  | PickleStorage
  | PickleTensor;

const STORAGE_TYPES: Record<string, StoredDType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

const ALLOWED_TEXT =
  'a tensor state dict needs only collections.OrderedDict, torch._utils._rebuild_tensor_v2, ' +
  'torch._utils._rebuild_parameter and torch.<Float|Half|BFloat16|Double|Long|Int|…>Storage';

function isAllowedGlobal(module: string, name: string): boolean {
  return CALLABLES.has(`${module}.${name}`) || (module === 'torch' && name in STORAGE_TYPES);
}

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x50: 'PERSID',
  0x49: 'INT',
  0x4c: 'LONG',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
  0x67: 'GET',
  0x70: 'PUT',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
};

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Unpickles `data` (the checkpoint's data.pkl) into plain values; `file` names the checkpoint in errors. */
export function unpickle(data: Uint8Array, file: string): PickleValue {
  return new Unpickler(data, file).run();
}

class Unpickler {
  readonly #v: DataView;
  #pos = 0;
  readonly #stack: StackItem[] = [];
  readonly #memo = new Map<number, PickleValue>();

  constructor(
    readonly data: Uint8Array,
    readonly file: string,
  ) {
    this.#v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  fail(message: string): never {
    throw new CheckpointError(this.file, `data.pkl: ${message}`);
  }

  run(): PickleValue {
    for (;;) {
      const at = this.#pos;
      const op = this.u8();
      if (op === 0x2e) return this.pop(); // STOP
      if (!this.step(op)) {
        const name = OPCODE_NAMES[op];
        const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
        this.fail(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}${ch}${name ? ` (${name})` : ''} at byte ${at}` +
            ' (a tensor state dict does not need it)',
        );
      }
    }
  }

  /** Executes one opcode on the stack; false if it is not one a state dict needs. */
  step(op: number): boolean {
    return this.stepData(op) || this.stepContainers(op) || this.stepObjects(op);
  }

  stepData(op: number): boolean {
    switch (op) {
      case 0x80: // PROTO
        if (this.u8() > 5) this.fail('pickle protocol above 5');
        return true;
      case 0x95: // FRAME: a length hint only
        this.bytes(8);
        return true;
      case 0x4a: // BININT
        this.push(this.#v.getInt32(this.advance(4), true));
        return true;
      case 0x4b: // BININT1
        this.push(this.u8());
        return true;
      case 0x4d: // BININT2
        this.push(this.#v.getUint16(this.advance(2), true));
        return true;
      case 0x8a: // LONG1
        this.push(this.long(this.u8()));
        return true;
      case 0x8b: // LONG4
        this.push(this.long(this.u32()));
        return true;
      case 0x47: // BINFLOAT (big-endian)
        this.push(this.#v.getFloat64(this.advance(8), false));
        return true;
      case 0x4e: // NONE
        this.push(null);
        return true;
      case 0x88: // NEWTRUE
        this.push(true);
        return true;
      case 0x89: // NEWFALSE
        this.push(false);
        return true;
      case 0x58: // BINUNICODE
        this.push(this.text(this.u32()));
        return true;
      case 0x8c: // SHORT_BINUNICODE
        this.push(this.text(this.u8()));
        return true;
      case 0x8d: // BINUNICODE8
        this.push(this.text(this.u64()));
        return true;
      case 0x55: // SHORT_BINSTRING (Python 2 str: latin-1)
        this.push(this.latin1(this.u8()));
        return true;
      case 0x54: // BINSTRING
        this.push(this.latin1(this.u32()));
        return true;
      case 0x43: // SHORT_BINBYTES
        this.push(this.bytes(this.u8()).slice());
        return true;
      case 0x42: // BINBYTES
        this.push(this.bytes(this.u32()).slice());
        return true;
      case 0x8e: // BINBYTES8
        this.push(this.bytes(this.u64()).slice());
        return true;
      default:
        return false;
    }
  }

  stepContainers(op: number): boolean {
    switch (op) {
      case 0x28: // MARK
        this.#stack.push(MARK);
        return true;
      case 0x30: // POP
        this.pop();
        return true;
      case 0x31: // POP_MARK
        this.popMark();
        return true;
      case 0x32: {
        // DUP
        const top = this.pop();
        this.push(top);
        this.push(top);
        return true;
      }
      case 0x29: // EMPTY_TUPLE
        this.push(new PickleTuple([]));
        return true;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        const items: PickleValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(this.pop());
        this.push(new PickleTuple(items));
        return true;
      }
      case 0x74: // TUPLE
        this.push(new PickleTuple(this.popMark()));
        return true;
      case 0x5d: // EMPTY_LIST
        this.push(new PickleList([]));
        return true;
      case 0x6c: // LIST
        this.push(new PickleList(this.popMark()));
        return true;
      case 0x61: {
        // APPEND
        const item = this.pop();
        this.listOnTop('APPEND').items.push(item);
        return true;
      }
      case 0x65: {
        // APPENDS
        const items = this.popMark();
        this.listOnTop('APPENDS').items.push(...items);
        return true;
      }
      case 0x7d: // EMPTY_DICT
        this.push(new PickleDict());
        return true;
      case 0x64: {
        // DICT
        const d = new PickleDict();
        this.setItems(d, this.popMark());
        this.push(d);
        return true;
      }
      case 0x73: {
        // SETITEM
        const value = this.pop();
        const key = this.pop();
        this.setItems(this.dictOnTop('SETITEM'), [key, value]);
        return true;
      }
      case 0x75: {
        // SETITEMS
        const items = this.popMark();
        this.setItems(this.dictOnTop('SETITEMS'), items);
        return true;
      }
      default:
        return this.stepMemo(op);
    }
  }

  stepMemo(op: number): boolean {
    switch (op) {
      case 0x71: // BINPUT
        this.#memo.set(this.u8(), this.peek());
        return true;
      case 0x72: // LONG_BINPUT
        this.#memo.set(this.u32(), this.peek());
        return true;
      case 0x94: // MEMOIZE
        this.#memo.set(this.#memo.size, this.peek());
        return true;
      case 0x68: // BINGET
        this.push(this.memo(this.u8()));
        return true;
      case 0x6a: // LONG_BINGET
        this.push(this.memo(this.u32()));
        return true;
      default:
        return false;
    }
  }

  stepObjects(op: number): boolean {
    switch (op) {
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = this.line();
        const name = this.line();
        this.push(this.global(module, name));
        return true;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          this.fail('STACK_GLOBAL needs two strings');
        this.push(this.global(module, name));
        return true;
      }
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const callable = this.pop();
        this.push(this.reduce(callable, args));
        return true;
      }
      case 0x62: {
        // BUILD
        const state = this.pop();
        this.build(this.peek(), state);
        return true;
      }
      case 0x51: // BINPERSID
        this.push(this.persistent(this.pop()));
        return true;
      default:
        return false;
    }
  }

  global(module: string, name: string): PickleGlobal {
    if (!isAllowedGlobal(module, name)) this.fail(`refuses global ${module}.${name} (${ALLOWED_TEXT})`);
    return new PickleGlobal(module, name);
  }

  reduce(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PickleGlobal) || !CALLABLES.has(callable.qualified)) {
      this.fail(`refuses to call ${describe(callable)} (${ALLOWED_TEXT})`);
    }
    if (!(args instanceof PickleTuple)) this.fail(`${callable.qualified} called without an argument tuple`);
    const a = args.items;
    switch (callable.qualified) {
      case 'collections.OrderedDict': {
        const d = new PickleDict();
        if (a.length > 0) {
          const pairs = a[0];
          if (!(pairs instanceof PickleList))
            this.fail('collections.OrderedDict called with something other than pairs');
          for (const pair of pairs.items) {
            if (!(pair instanceof PickleTuple) || pair.items.length !== 2)
              this.fail('OrderedDict pair is not a 2-tuple');
            this.setItems(d, pair.items);
          }
        }
        return d;
      }
      case 'torch._utils._rebuild_tensor_v2':
        return this.tensor(a);
      default: {
        // _rebuild_parameter(data, requires_grad, hooks[, state]): a Parameter is its tensor for reading.
        const data = a[0];
        if (!(data instanceof PickleTensor))
          this.fail(`${callable.qualified} called on ${describe(data ?? null)}`);
        return data;
      }
    }
  }

  /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
  tensor(a: PickleValue[]): PickleTensor {
    const [storage, offset, size, stride] = a;
    if (!(storage instanceof PickleStorage))
      this.fail(`_rebuild_tensor_v2 called on ${describe(storage ?? null)}`);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)
      this.fail('tensor with a bad storage offset');
    const ints = (x: PickleValue | undefined, what: string): number[] => {
      if (!(x instanceof PickleTuple)) this.fail(`tensor ${what} is not a tuple`);
      return x.items.map((d) => {
        if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
          this.fail(`tensor ${what} holds ${describe(d)}`);
        return d;
      });
    };
    const shape = ints(size, 'size');
    const strides = ints(stride, 'stride');
    if (strides.length !== shape.length) this.fail('tensor stride and size differ in length');
    return new PickleTensor(storage, offset, shape, strides);
  }

  /** BUILD sets attributes of an object; for a state dict that is only `_metadata` (module versions), ignored. */
  build(target: PickleValue, state: PickleValue): void {
    if (!(target instanceof PickleDict))
      this.fail(`BUILD on ${describe(target)} (only a state dict may receive state)`);
    const okState = (s: PickleValue | undefined) => s === null || s instanceof PickleDict;
    if (okState(state)) return;
    if (state instanceof PickleTuple && state.items.length === 2 && state.items.every(okState)) return;
    this.fail(`BUILD with ${describe(state)} state on a dict`);
  }

  /** Persistent ids of torch.save: ('storage', <torch.XStorage>, key, location, numel). */
  persistent(pid: PickleValue): PickleStorage {
    if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
      this.fail(`persistent id ${describe(pid)} is not a torch storage`);
    }
    const [, type, key, , numel] = pid.items;
    if (!(type instanceof PickleGlobal) || type.module !== 'torch' || !(type.name in STORAGE_TYPES)) {
      this.fail(`storage of type ${describe(type ?? null)} is not a tensor storage`);
    }
    if (typeof key !== 'string' || !/^[A-Za-z0-9_]+$/.test(key))
      this.fail(`storage key ${describe(key ?? null)} is invalid`);
    if (typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0)
      this.fail(`storage ${key} has a bad size`);
    return new PickleStorage(STORAGE_TYPES[type.name]!, key, numel);
  }

  setItems(d: PickleDict, items: PickleValue[]): void {
    if (items.length % 2) this.fail('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i]!;
      if (k !== null && typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') {
        this.fail(`dict key ${describe(k)} is not a plain value`);
      }
      d.map.set(k, items[i + 1]!);
    }
  }

  push(x: PickleValue): void {
    this.#stack.push(x);
  }

  pop(): PickleValue {
    const x = this.#stack.pop();
    if (x === undefined || x === MARK) this.fail(`stack underflow at byte ${this.#pos}`);
    return x;
  }

  peek(): PickleValue {
    const x = this.#stack[this.#stack.length - 1];
    if (x === undefined || x === MARK) this.fail(`empty stack at byte ${this.#pos}`);
    return x;
  }

  popMark(): PickleValue[] {
    const i = this.#stack.lastIndexOf(MARK);
    if (i < 0) this.fail(`no MARK on the stack at byte ${this.#pos}`);
    const items = this.#stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  }

  listOnTop(op: string): PickleList {
    const x = this.peek();
    if (!(x instanceof PickleList)) this.fail(`${op} on ${describe(x)}`);
    return x;
  }

  dictOnTop(op: string): PickleDict {
    const x = this.peek();
    if (!(x instanceof PickleDict)) this.fail(`${op} on ${describe(x)}`);
    return x;
  }

  memo(i: number): PickleValue {
    const x = this.#memo.get(i);
    if (x === undefined) this.fail(`memo ${i} read before it was written`);
    return x;
  }

  advance(n: number): number {
    const at = this.#pos;
    if (at + n > this.data.byteLength) this.fail('ends in the middle of an opcode (truncated)');
    this.#pos += n;
    return at;
  }

  u8(): number {
    return this.#v.getUint8(this.advance(1));
  }

  u32(): number {
    return this.#v.getUint32(this.advance(4), true);
  }

  u64(): number {
    const x = this.#v.getBigUint64(this.advance(8), true);
    if (x > BigInt(this.data.byteLength)) this.fail('length beyond the pickle');
    return Number(x);
  }

  bytes(n: number): Uint8Array {
    const at = this.advance(n);
    return this.data.subarray(at, at + n);
  }

  text(n: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(n));
  }

  latin1(n: number): string {
    const b = this.bytes(n);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  }

  line(): string {
    const end = this.data.indexOf(0x0a, this.#pos);
    if (end < 0) this.fail('GLOBAL without a newline (truncated)');
    const s = this.latin1(end - this.#pos);
    this.#pos = end + 1;
    return s;
  }

  /** Little-endian two's-complement integer of n bytes; must fit a double exactly (sizes, offsets). */
  long(n: number): number {
    const b = this.bytes(n);
    let x = 0n;
    for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) x -= 1n << BigInt(8 * n);
    if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER))
      this.fail(`integer ${x} too large`);
    return Number(x);
  }
}

function describe(x: PickleValue): string {
  if (x === null) return 'None';
  if (x instanceof PickleGlobal) return x.qualified;
  if (x instanceof PickleTuple) return `a tuple of ${x.items.length}`;
  if (x instanceof PickleList) return 'a list';
  if (x instanceof PickleDict) return 'a dict';
  if (x instanceof PickleStorage) return 'a storage';
  if (x instanceof PickleTensor) return 'a tensor';
  if (x instanceof Uint8Array) return 'bytes';
  return JSON.stringify(x);
}
