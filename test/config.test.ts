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
