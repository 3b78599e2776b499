import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';

const root = join(__dirname, '..', '..');

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : files(full, ext);
    return full.endsWith(ext) ? [full] : [];
  });
}

describe('a fresh clone is self-contained and installs quietly', () => {
  it('no test reads data from outside the repository (../shared or an absolute path)', () => {
    const offenders = files(join(root, 'test'), '.ts').filter((f) =>
      /\.\.\/\.\.\/\.\.\/shared|['"]\/work\//.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      offenders.map((f) => relative(root, f)),
      [],
    );
  });

  it('the rosbag2 fixtures the tests read are in test/fixtures, as rosbag2 wrote them', () => {
    for (const bag of ['go2_compressed_zstd', 'go2_raw']) {
      const dir = join(root, 'test', 'fixtures', 'rosbag2-jazzy', bag);
      const meta = parseYaml(readFileSync(join(dir, 'metadata.yaml'), 'utf8')) as {
        rosbag2_bagfile_information: { relative_file_paths: string[]; storage_identifier: string };
      };
      assert.equal(meta.rosbag2_bagfile_information.storage_identifier, 'mcap');
      for (const f of meta.rosbag2_bagfile_information.relative_file_paths) {
        const mcap = readFileSync(join(dir, f));
        assert.equal(mcap.subarray(1, 5).toString('latin1'), 'MCAP', f);
      }
    }
  });

  it("onnxruntime-node's CUDA download is skipped through package.json#allowScripts, not an unknown npm key", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    assert.equal(pkg.allowScripts?.['onnxruntime-node'], false);
    // npm warns on every call about unknown keys in a project .npmrc (and will stop honouring them).
    if (existsSync(join(root, '.npmrc'))) {
      const keys = readFileSync(join(root, '.npmrc'), 'utf8')
        .split('\n')
        .filter((l) => /^\s*[\w-]+\s*=/.test(l))
        .map((l) => l.split('=')[0]!.trim());
      assert.ok(!keys.includes('onnxruntime-node-install'), keys.join(', '));
    }
  });

  it('the default robot configurations do not put WebGPU (fused attention unverified) first', () => {
    for (const f of readdirSync(join(root, 'config')).filter((n) => n.endsWith('.yaml'))) {
      const text = readFileSync(join(root, 'config', f), 'utf8');
      const providers = /execution_providers:\s*\[([^\]]*)\]/.exec(text)?.[1];
      if (providers) assert.notEqual(providers.split(',')[0]!.trim(), 'webgpu', f);
    }
  });
});
