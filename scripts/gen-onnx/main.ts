import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';

/**
 * `npm run gen:onnx`: regenerates src/model/onnx/proto/onnx_pb.ts from the vendored onnx.proto with buf and
 * protoc-gen-es (both pinned devDependencies, both run locally: no remote plugin, no network). The proto is
 * copied alone into a scratch folder so that buf compiles exactly that file, whatever else lies beside it.
 */

const root = resolve(__dirname, '..', '..');
export const PROTO_DIR = join(root, 'src', 'model', 'onnx', 'proto');
export const GENERATED_FILE = join(PROTO_DIR, 'onnx_pb.ts');

/** The generator could not be started (no buf binary for this platform, or devDependencies not installed). */
export class GeneratorUnavailable extends Error {}

function bufScript(): string {
  try {
    return require.resolve('@bufbuild/buf/bin/buf', { paths: [root] });
  } catch {
    throw new GeneratorUnavailable(
      '@bufbuild/buf is not installed (npm install installs the devDependencies)',
    );
  }
}

/** What the generator produces today for a proto file (by default the vendored onnx.proto), as text. */
export function generateOnnxTs(protoFile = join(PROTO_DIR, 'onnx.proto')): string {
  const buf = bufScript();
  const binDir = join(root, 'node_modules', '.bin');
  if (!existsSync(join(binDir, 'protoc-gen-es'))) {
    throw new GeneratorUnavailable(
      `protoc-gen-es is not in ${binDir} (npm install installs the devDependencies)`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'svnav-gen-onnx-'));
  try {
    mkdirSync(join(work, 'in'));
    const name = basename(protoFile);
    if (!name.endsWith('.proto')) throw new Error(`${protoFile}: buf compiles only files named *.proto`);
    copyFileSync(protoFile, join(work, 'in', name));
    const env = { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` };
    const args = [buf, 'generate', 'in', '--template', join(PROTO_DIR, 'buf.gen.yaml'), '-o', 'out'];
    try {
      execFileSync(process.execPath, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      const detail = e.stderr?.toString().trim() || e.message;
      // The npm shim reports a platform without a published binary before it runs anything.
      if (/Unsupported platform|spawnSync \S+ ENOENT/.test(detail)) throw new GeneratorUnavailable(detail);
      throw new Error(`buf generate failed for ${protoFile}: ${detail}`);
    }
    return readFileSync(join(work, 'out', `${name.slice(0, -'.proto'.length)}_pb.ts`), 'utf8');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
  const text = generateOnnxTs();
  mkdirSync(dirname(GENERATED_FILE), { recursive: true });
  writeFileSync(GENERATED_FILE, text);
  console.log(`gen:onnx: wrote ${GENERATED_FILE} (${text.length} characters)`);
}

if (require.main === module) main();
