import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('run-time npm packages installed by colcon (scripts/runtime-modules.cjs)', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'runtime-modules.cjs')], { encoding: 'utf8' });
  const listed = r.stdout.split('\n').filter((l) => l.length > 0);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  it('lists every run-time dependency and none of the development tools', () => {
    assert.equal(r.status, 0, r.stderr);
    for (const name of Object.keys(pkg.dependencies)) assert.ok(listed.includes(name), `${name} missing`);
    for (const name of ['typescript', 'mocha', 'eslint', 'prettier', 'ts-node', 'fast-check']) {
      assert.ok(!listed.includes(name), `${name} (a dev dependency) would be installed`);
    }
  });

  it('lists scoped packages by their full name (installed under node_modules/@scope)', () => {
    assert.ok(listed.includes('@mcap/core'));
    assert.ok(
      listed.every((n) => /^(@[^/]+\/)?[^/@][^/]*$/.test(n)),
      listed.join(', '),
    );
  });
});
