import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, openTensorFile, type TensorSource } from '../../../src/model/weights/tensor-source';
import { readAsFloat32 } from '../../../src/model/weights/checkpoint-io';
import { PthFile } from '../../../src/model/weights/pth';
import { pthBytes, stateDictPickle } from './pth-writer';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const T5_PTH = join(FIXTURES, 'official-tiny', 't5', 't5_tiny_enc_bf16.pth');
const VAE_PTH = join(FIXTURES, 'official-tiny', 'vae', 'vae_tiny.pth');

/** Key names of a released checkpoint (design/official-*-keys.txt: name, shape, dtype per line). */
function officialKeys(which: 't5' | 'vae'): string[] {
  return readFileSync(join(FIXTURES, 'design', `official-${which}-keys.txt`), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t')[0]!);
}

function withSource<T>(path: string, f: (s: TensorSource) => T): T {
  const s = openTensorFile(path);
  try {
    return f(s);
  } finally {
    s.close();
  }
}

function allFinite(s: TensorSource): boolean {
  return s.names().every((n) => s.readFloat32(n).every((x) => Number.isFinite(x)));
}

describe('PyTorch zip checkpoints (.pth)', () => {
  it('reads the tiny Wan VAE .pth: the released key names, float32, finite values', () => {
    withSource(VAE_PTH, (s) => {
      assert.ok(s instanceof PthFile, 'dispatched to the .pth reader by content');
      assert.deepEqual([...s.names()].sort(), officialKeys('vae').sort());
      assert.deepEqual(s.info('encoder.conv1.weight'), { dtype: 'float32', shape: [4, 3, 3, 3, 3] });
      // First values of storage data/0, read independently with numpy from the zip member.
      const w = s.readFloat32('encoder.conv1.weight');
      assert.equal(w.length, 324);
      assert.deepEqual(
        Array.from(w.subarray(0, 4)),
        [-0.009023246355354786, 0.2203914374113083, 0.06692919135093689, 0.021450117230415344],
      );
      assert.ok(allFinite(s));
    });
  });

  it('reads the tiny umT5 bf16 .pth: the released names for its 2 layers, bf16 widened exactly', () => {
    withSource(T5_PTH, (s) => {
      const expected = officialKeys('t5').filter(
        (k) => !/^blocks\.(\d+)\./.test(k) || Number(k.split('.')[1]) < 2,
      );
      assert.deepEqual([...s.names()].sort(), expected.sort());
      assert.deepEqual(s.info('token_embedding.weight'), { dtype: 'bfloat16', shape: [128, 32] });
      assert.deepEqual(s.info('blocks.1.pos_embedding.embedding.weight'), {
        dtype: 'bfloat16',
        shape: [32, 4],
      });
      const emb = s.readFloat32('token_embedding.weight');
      assert.deepEqual(
        Array.from(emb.subarray(0, 4)),
        [0.177734375, 0.1591796875, -0.326171875, 0.302734375],
      );
      // bf16 is the top half of an fp32: every widened value has zero low 16 bits.
      for (const n of s.names()) {
        const bits = new Uint32Array(s.readFloat32(n).buffer);
        assert.ok(
          bits.every((b) => (b & 0xffff) === 0),
          n,
        );
      }
      assert.ok(allFinite(s));
    });
  });

  it('reads element ranges of a tensor equal to slices of the whole tensor', () => {
    withSource(T5_PTH, (s) => {
      const whole = s.readFloat32('blocks.0.ffn.fc1.weight');
      assert.deepEqual(s.readFloat32Range('blocks.0.ffn.fc1.weight', 100, 700), whole.subarray(100, 800));
      assert.throws(
        () => s.readFloat32Range('blocks.0.ffn.fc1.weight', whole.length - 1, 2),
        /blocks\.0\.ffn\.fc1\.weight: range .* outside its 2048 elements/,
      );
      assert.throws(() => s.readFloat32('nope'), /t5_tiny_enc_bf16\.pth: no tensor named nope/);
    });
  });
});

describe('PyTorch zip checkpoints written by the test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pth-'));

  /** fp32 values that bf16 holds exactly, stored both ways. */
  const values = Float32Array.from([1, -2.5, 0.15625, 2 ** 127, -(2 ** -130), 0, 65280, 1 / 1024]);
  function bf16Bytes(v: Float32Array): Uint8Array {
    const bits = new Uint32Array(Float32Array.from(v).buffer);
    return new Uint8Array(Uint16Array.from(bits, (b) => b >>> 16).buffer);
  }

  function write(name: string, bytes: Uint8Array): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  it('converts bf16, fp16, f64 and f32 storages to the same fp32 values, with ZIP64 records too', () => {
    const f16 = new Uint16Array([0x3c00, 0xc100, 0x3100, 0x7c00, 0x8001, 0, 0x7bff, 0x1400]);
    const pickle = stateDictPickle([
      { name: 'bf', storageClass: 'BFloat16Storage', key: '0', numel: 8, shape: [2, 4] },
      { name: 'f32', storageClass: 'FloatStorage', key: '1', numel: 8, shape: [8] },
      { name: 'f64', storageClass: 'DoubleStorage', key: '2', numel: 8, shape: [4, 2] },
      { name: 'f16', storageClass: 'HalfStorage', key: '3', numel: 8, shape: [8] },
    ]);
    const storages = {
      '0': bf16Bytes(values),
      '1': new Uint8Array(values.buffer),
      '2': new Uint8Array(Float64Array.from(values).buffer),
      '3': new Uint8Array(f16.buffer),
    };
    for (const zip64 of [false, true]) {
      withSource(write(`dtypes${zip64 ? '64' : ''}.pth`, pthBytes(pickle, storages, zip64)), (s) => {
        assert.deepEqual(s.readFloat32('bf'), values);
        assert.deepEqual(s.readFloat32('f32'), values);
        assert.deepEqual(s.readFloat32('f64'), values);
        assert.deepEqual(Array.from(s.readFloat32('f16')), [
          1,
          -2.5,
          0.15625,
          Infinity,
          -(2 ** -24),
          0,
          65504,
          1 / 1024,
        ]);
        assert.deepEqual(s.info('f64'), { dtype: 'float64', shape: [4, 2] });
      });
    }
  });

  it('reads in pieces (here 6 bytes at a time) exactly what one read gives, and names a short file', () => {
    const path = write('raw.bin', bf16Bytes(values));
    const fd = openSync(path, 'r');
    try {
      for (const dtype of ['bfloat16', 'float16', 'float32', 'float64'] as const) {
        const per = { bfloat16: 2, float16: 2, float32: 4, float64: 8 }[dtype];
        const n = 16 / per;
        assert.deepEqual(
          readAsFloat32(fd, dtype, 0, n, path, 'x', 6),
          readAsFloat32(fd, dtype, 0, n, path, 'x'),
        );
      }
      assert.deepEqual(readAsFloat32(fd, 'bfloat16', 0, 8, path, 'x', 6), values);
      assert.throws(
        () => readAsFloat32(fd, 'float32', 8, 3, path, 'tensor t', 6),
        /raw\.bin: tensor t: file ends at byte 16/,
      );
    } finally {
      closeSync(fd);
    }
  });

  it('reads protocol 4 and 5 pickles as Python writes them (FRAME, MEMOIZE, STACK_GLOBAL, a Parameter, shared storage)', () => {
    // pickle.dumps of an OrderedDict state dict by Python 3 with stand-in torch classes and torch's persistent ids
    // ('storage', torch.XStorage, key, 'cpu', numel): a.weight bf16 [2, 4]; b.weight an nn.Parameter, f32 offset 2,
    // size (2, 2), stride (1, 2); a.shared elements 4..7 of a.weight's storage.
    const protocol4 =
      'gASVPgEAAAAAAACMC2NvbGxlY3Rpb25zlIwLT3JkZXJlZERpY3SUk5QpUpQojAhhLndlaWdodJSMDHRvcmNoLl91dGlsc5SMEl9yZWJ1aWxkX3RlbnNvcl92MpSTlCgojAdzdG9yYWdllIwFdG9yY2iUjA9CRmxvYXQxNlN0b3JhZ2WUk5SMATCUjANjcHWUSwh0lFFLAEsCSwSGlEsESwGGlIloAilSlHSUUpSMCGIud2VpZ2h0lGgFjBJfcmVidWlsZF9wYXJhbWV0ZXKUk5RoBygoaAhoCYwMRmxvYXRTdG9yYWdllJOUjAExlGgNSwZ0lFFLAksCSwKGlEsBSwKGlIloAilSlHSUUpSIaAIpUpSHlFKUjAhhLnNoYXJlZJRoBygoaAhoC2gMaA1LCHSUUUsESwSFlEsBhZSJaAIpUpR0lFKUdS4=';
    const f32 = Float32Array.from([10, 11, 12, 13, 14, 15]);
    for (const proto of [4, 5]) {
      const pickle = Buffer.from(protocol4, 'base64');
      pickle[1] = proto;
      const path = write(
        `p${proto}.pth`,
        pthBytes(pickle, { '0': bf16Bytes(values), '1': new Uint8Array(f32.buffer) }),
      );
      withSource(path, (s) => {
        assert.deepEqual(s.names(), ['a.weight', 'b.weight', 'a.shared']);
        assert.deepEqual(s.readFloat32('a.weight'), values);
        assert.deepEqual(Array.from(s.readFloat32('b.weight')), [12, 14, 13, 15]);
        assert.deepEqual(s.readFloat32('a.shared'), values.subarray(4));
        assert.deepEqual(s.info('b.weight'), { dtype: 'float32', shape: [2, 2] });
      });
    }
  });

  it('reads views with a storage offset and transposed (non-contiguous) strides', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    const pickle = stateDictPickle([
      { name: 'tail', storageClass: 'FloatStorage', key: '0', numel: 12, offset: 6, shape: [2, 3] },
      {
        name: 'transposed',
        storageClass: 'FloatStorage',
        key: '0',
        numel: 12,
        shape: [4, 3],
        stride: [1, 4],
      },
    ]);
    withSource(write('views.pth', pthBytes(pickle, { '0': new Uint8Array(data.buffer) })), (s) => {
      assert.deepEqual(Array.from(s.readFloat32('tail')), [6, 7, 8, 9, 10, 11]);
      // storage as [3, 4] row-major, viewed as its transpose [4, 3].
      assert.deepEqual(Array.from(s.readFloat32('transposed')), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
      assert.deepEqual(Array.from(s.readFloat32Range('transposed', 4, 3)), [5, 9, 2]);
    });
  });

  it('refuses int storages as floats by name', () => {
    const pickle = stateDictPickle([
      { name: 'steps', storageClass: 'LongStorage', key: '0', numel: 1, shape: [] },
    ]);
    withSource(write('long.pth', pthBytes(pickle, { '0': new Uint8Array(8) })), (s) => {
      assert.deepEqual(s.info('steps'), { dtype: 'int64', shape: [] });
      assert.throws(
        () => s.readFloat32('steps'),
        (e: Error) =>
          e instanceof CheckpointError && /tensor steps: stored as int64, not a float type/.test(e.message),
      );
    });
  });
});
