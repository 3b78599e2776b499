import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfigFile, parseConfig } from '../src/config';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('fills every section with the conservative defaults of SYSTEM.md §4', () => {
    const cfg = defaultConfig();
    assert.equal(cfg.controller.max_vx_mps, 0.5);
    assert.equal(cfg.controller.max_vy_mps, 0.3);
    assert.equal(cfg.controller.max_wz_radps, 1.0);
    assert.equal(cfg.controller.rate_hz, 20);
    assert.equal(cfg.controller.cmd_vel_topic, '/cmd_vel');
    assert.equal(cfg.safety.planner_heartbeat_timeout_s, 0.5);
    assert.equal(cfg.safety.camera_timeout_s, 1.0);
    assert.equal(cfg.model.allow_untrained, false);
  });

  it('reads a ROS 2 parameter file and merges the sections of several nodes', () => {
    const cfg = parseConfig({
      planner: { ros__parameters: { planner: { sampler_steps: 8 } } },
      controller: { ros__parameters: { 'controller.max_vx_mps': 0.3 } },
    });
    assert.equal(cfg.planner.sampler_steps, 8);
    assert.equal(cfg.controller.max_vx_mps, 0.3);
    assert.equal(cfg.controller.max_vy_mps, 0.3);
  });

  it('refuses a parameter that two node sections set to different values, naming both sections', () => {
    const problems = problemsOf(() =>
      parseConfig({
        '/**': { ros__parameters: { controller: { max_vx_mps: 0.5 } } },
        svnav_controller: { ros__parameters: { 'controller.max_vx_mps': 0.2 } },
        svnav_planner: { ros__parameters: { controller: { max_vx_mps: 0.5 } } },
      }),
    );
    assert.deepEqual(problems, [
      'controller.max_vx_mps: set to 0.5 (number) in section /** and to 0.2 (number) in section svnav_controller',
      'controller.max_vx_mps: set to 0.2 (number) in section svnav_controller and to 0.5 (number) in section svnav_planner',
    ]);
  });

  it('names NaN and infinities (YAML .nan, .inf) as such instead of "null"', () => {
    const problems = problemsOf(() =>
      parseConfig({ controller: { max_vx_mps: NaN, max_vy_mps: Infinity, max_wz_radps: -Infinity } }),
    );
    assert.ok(
      problems.includes('controller.max_vx_mps: expected number, got NaN (not a finite number)'),
      problems.join('\n'),
    );
    assert.ok(
      problems.some(
        (p) => p.startsWith('controller.max_vy_mps:') && p.includes('Infinity (not a finite number)'),
      ),
      problems.join('\n'),
    );
    assert.ok(
      problems.every((p) => !p.includes('null')),
      problems.join('\n'),
    );
  });

  it('refuses a binary file by name and size, a directory, and quotes a broken YAML file briefly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svnav-cfg-'));
    const binary = join(dir, 'model.onnx');
    writeFileSync(binary, Buffer.from(Array.from({ length: 22_000 }, (_, i) => (i * 7) % 256)));
    assert.deepEqual(
      problemsOf(() => loadConfigFile(binary)),
      ['is not a text file (it holds NUL bytes; 22000 bytes): expected a YAML parameter file'],
    );
    const latin1 = join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    assert.match(problemsOf(() => loadConfigFile(latin1))[0]!, /it is not valid UTF-8/);
    assert.match(problemsOf(() => loadConfigFile(dir))[0]!, /is a directory, not a YAML file/);
    const long = join(dir, 'long.yaml');
    writeFileSync(long, `controller: [${'x'.repeat(5000)}\n  : : :\n`);
    assert.ok(problemsOf(() => loadConfigFile(long))[0]!.length < 500);
  });

  it('rejects a wrong type naming the key, the value and the expected type', () => {
    const [problem] = problemsOf(() => parseConfig({ controller: { max_vx_mps: 'fast' } }, 'robot.yaml'));
    assert.equal(problem, 'controller.max_vx_mps: expected number, got "fast" (string)');
  });

  it('rejects an unknown key naming it and listing the allowed keys', () => {
    const [problem] = problemsOf(() => parseConfig({ controller: { max_speed: 1 } }));
    assert.match(
      problem!,
      /^controller\.max_speed: unknown key \(allowed: cmd_vel_topic, odom_topic, rate_hz,/,
    );
  });

  it('rejects an unknown section at the top level', () => {
    const [problem] = problemsOf(() => parseConfig({ planer: {} }));
    assert.match(problem!, /^planer: unknown key \(allowed: camera, model, planner, controller, safety\)$/);
  });

  it('rejects a value outside its range and an enum value that is not allowed', () => {
    const problems = problemsOf(() =>
      parseConfig({ controller: { max_vx_mps: 9 }, model: { execution_providers: ['tpu'] } }),
    );
    assert.deepEqual(problems.sort(), [
      'controller.max_vx_mps: got 9 (number), must be ≤ 3.8',
      'model.execution_providers.0: got "tpu" (string), allowed: "webgpu", "cuda", "cpu"',
    ]);
  });

  it('names the file when the YAML itself is broken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svnav-cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'controller: [unclosed');
    const [problem] = problemsOf(() => loadConfigFile(file));
    assert.match(problem!, /^not valid YAML/);
    assert.throws(
      () => loadConfigFile(file),
      (err: Error) => err.message.startsWith(file),
    );
  });

  it('accepts every YAML file shipped in config/', () => {
    const dir = join(__dirname, '..', 'config');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length > 0);
    for (const f of files) loadConfigFile(join(dir, f));
  });
});
