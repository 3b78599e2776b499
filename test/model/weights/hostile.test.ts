import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../src/model/weights/safetensors';
import { CheckpointError, openTensorFile } from '../../../src/model/weights/tensor-source';
import { PickleBytes, pthBytes, stateDictPickle, zipBytes } from './pth-writer';

describe('checkpoint readers refuse bad and hostile files by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  const sentinel = join(dir, 'executed');

  function write(name: string, bytes: Uint8Array): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  /** Opening must fail with a CheckpointError naming the file and matching `pattern`, and run nothing. */
  function refuses(path: string, pattern: RegExp): void {
    assert.throws(
      () => openTensorFile(path).close(),
      (e: Error) => {
        assert.ok(e instanceof CheckpointError, `CheckpointError, got ${e.name}: ${e.message}`);
        assert.ok(e.message.startsWith(`${path}: `), e.message);
        assert.match(e.message, pattern);
        return true;
      },
    );
    assert.equal(existsSync(sentinel), false, 'nothing from the file was executed');
  }

  const good = stateDictPickle([{ name: 'w', storageClass: 'FloatStorage', key: '0', numel: 4, shape: [4] }]);
  const goodStorage = { '0': new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) };

  it('refuses os.system called through GLOBAL + REDUCE', () => {
    const p = new PickleBytes()
      .proto(2)
      .global('os', 'system')
      .mark()
      .str(`touch ${sentinel}`)
      .tuple()
      .reduce()
      .stop();
    refuses(
      write('os-system.pth', pthBytes(p.bytes(), {})),
      /refuses global os\.system \(a tensor state dict needs only collections\.OrderedDict/,
    );
  });

  it('refuses builtins.eval through STACK_GLOBAL (protocol 4)', () => {
    const p = new PickleBytes()
      .proto(4)
      .stackGlobal('builtins', 'eval')
      .mark()
      .str('1+1')
      .tuple()
      .reduce()
      .stop();
    refuses(write('eval.pth', pthBytes(p.bytes(), {})), /refuses global builtins\.eval/);
  });

  it('refuses __builtin__.getattr (Python 2 name)', () => {
    const p = new PickleBytes().proto(2).global('__builtin__', 'getattr').stop();
    refuses(write('getattr.pth', pthBytes(p.bytes(), {})), /refuses global __builtin__\.getattr/);
  });

  it('refuses to call an allowed name that is not a callable (a storage class)', () => {
    const p = new PickleBytes().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop();
    refuses(write('call-storage.pth', pthBytes(p.bytes(), {})), /refuses to call torch\.FloatStorage/);
  });

  it('refuses unknown and object-building opcodes with their byte position', () => {
    const unknown = new PickleBytes().proto(2).op(0xff).stop();
    refuses(write('unknown.pth', pthBytes(unknown.bytes(), {})), /unsupported pickle opcode 0xff at byte 2/);
    const inst = new PickleBytes()
      .proto(2)
      .mark()
      .op(0x69, ...Buffer.from('os\nsystem\n'))
      .stop();
    refuses(
      write('inst.pth', pthBytes(inst.bytes(), {})),
      /unsupported pickle opcode 0x69 'i' \(INST\) at byte 3/,
    );
  });

  it('refuses a pickle that is not a dict of tensors', () => {
    const p = new PickleBytes().proto(2).emptyDict().mark().str('lr').int(3).setitems().stop();
    refuses(write('not-tensors.pth', pthBytes(p.bytes(), {})), /entry lr of the state dict is not a tensor/);
  });

  it('refuses a compressed member, naming it', () => {
    const bytes = zipBytes([
      { name: 'archive/data.pkl', data: good, method: 8 },
      { name: 'archive/data/0', data: goodStorage['0'] },
    ]);
    refuses(write('deflated.pth', bytes), /zip entry archive\/data\.pkl is compressed \(deflate\)/);
  });

  it('detects a truncated .pth at open: no end record, or a storage shorter than its tensor', () => {
    const whole = pthBytes(good, goodStorage);
    refuses(
      write('cut.pth', whole.subarray(0, whole.length - 30)),
      /no zip end-of-central-directory record \(truncated/,
    );
    const short = pthBytes(good, { '0': goodStorage['0'].subarray(0, 12) });
    refuses(
      write('short.pth', short),
      /tensor w: needs bytes \[0, 16\) of storage data\/0, which holds 12 of 16/,
    );
    const missing = pthBytes(good, {});
    refuses(write('missing.pth', missing), /tensor w: storage data\/0 is missing/);
  });

  it('names a missing file, a pre-1.6 torch.save file and a file of neither format', () => {
    refuses(join(dir, 'absent.pth'), /cannot open: ENOENT/);
    const legacy = Buffer.from('80028a0a6cfc9c46f9206aa85019' + '2e'.repeat(16), 'hex');
    refuses(write('legacy.pth', legacy), /legacy \(pre-1\.6, non-zip\) torch\.save format is not read/);
    refuses(
      write('text.pth', Buffer.from('hello, this is not a checkpoint')),
      /header length \d+ does not fit a file of 31 bytes/,
    );
  });

  it('detects a truncated pickle and a truncated safetensors file at open', () => {
    refuses(write('pkl-cut.pth', pthBytes(good.subarray(0, 40), goodStorage)), /data\.pkl: .*truncated/);
    const path = join(dir, 'whole.safetensors');
    writeSafetensors(path, {
      a: { shape: [2, 3], data: new Float32Array(6) },
      b: { shape: [5], data: new Float32Array(5) },
    });
    const bytes = readFileSync(path);
    refuses(
      write('cut.safetensors', bytes.subarray(0, bytes.length - 4)),
      /tensor b: data \[24, 44\) lies beyond the file's 40 data bytes \(truncated\)/,
    );
    refuses(write('tiny.safetensors', bytes.subarray(0, 5)), /shorter than its 8-byte header length/);
  });
});
