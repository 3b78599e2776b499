import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Runs the project's layering rules on `dir` (a tree with its own src/) and returns what they refuse. */
function violations(dir: string): Violation[] {
  const r = spawnSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return out.summary.violations;
}

/** A throw-away tree with the project's rules and the given modules (path → source). */
function probeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'svnav-layering-'));
  copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true } }),
  );
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

// The source tree itself is checked by `npm run lint:deps`; these cases show the rules have teeth.
describe('layering (SYSTEM.md §7 as dependency-cruiser rules)', function () {
  this.timeout(120_000);

  it('refuses the imports each rule exists for, naming the rule and both ends', () => {
    const dir = probeTree({
      'src/geometry/se2.ts': 'export const IDENTITY = 0;\n',
      'src/controller/index.ts':
        "import { IDENTITY } from '../geometry/se2';\nexport const step = IDENTITY;\n",
      'src/planner/plan.ts': "import { step } from '../controller';\nexport const plan = step;\n",
      'src/viz/draw.ts': 'export const draw = 1;\n',
      'src/nodes/planner/node.ts': "import { draw } from '../../viz/draw';\nexport const node = draw;\n",
      'src/camera/a.ts': "import { b } from './b';\nexport const a = b;\n",
      'src/camera/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      'src/geometry/frames.ts': "import { plan } from '../planner/plan';\nexport const frames = plan;\n",
    });
    try {
      const found = new Set(violations(dir).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
      for (const expected of [
        'controller-is-consumed-only-by-its-node: src/planner/plan.ts → src/controller/index.ts',
        'viz-is-a-leaf: src/nodes/planner/node.ts → src/viz/draw.ts',
        'no-circular: src/camera/a.ts → src/camera/b.ts',
        'geometry-is-the-core: src/geometry/frames.ts → src/planner/plan.ts',
        'lower-floors-do-not-reach-up: src/geometry/frames.ts → src/planner/plan.ts',
      ]) {
        assert.ok(found.has(expected), `expected «${expected}» among:\n${[...found].join('\n')}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
