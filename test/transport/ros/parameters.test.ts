import { strict as assert } from 'node:assert';
import { ConfigError, defaultConfig, loadConfigFile } from '../../../src/config';
import { configToParameters, integerKeys, parametersToConfig } from '../../../src/transport/ros';

describe('config ↔ ROS 2 parameters', () => {
  it('declares every config key under its dotted name, integers as BigInt and other numbers as doubles', () => {
    const params = configToParameters(defaultConfig());
    const byName = new Map(params.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('controller.max_vx_mps'), {
      name: 'controller.max_vx_mps',
      kind: 'double',
      value: 0.5,
    });
    assert.deepEqual(byName.get('controller.rate_hz'), {
      name: 'controller.rate_hz',
      kind: 'double',
      value: 20,
    });
    assert.deepEqual(byName.get('planner.sampler_steps'), {
      name: 'planner.sampler_steps',
      kind: 'integer',
      value: 4n,
    });
    assert.deepEqual(byName.get('model.execution_providers'), {
      name: 'model.execution_providers',
      kind: 'string_array',
      value: ['cpu'],
    });
    assert.deepEqual(byName.get('camera.topic')?.kind, 'string');
    assert.deepEqual(byName.get('model.allow_untrained')?.kind, 'bool');
    assert.ok(
      params.every((p) => /^[a-z_]+\.[a-z_0-9]+$/.test(p.name)),
      'all names are section.key',
    );
  });

  it('finds the integer keys from the schema', () => {
    const ints = integerKeys();
    for (const k of [
      'planner.sampler_steps',
      'planner.ddim_steps',
      'planner.seed',
      'camera.relay_width_px',
    ]) {
      assert.ok(ints.has(k), k);
    }
    assert.ok(!ints.has('controller.rate_hz'));
  });

  it('reads declared parameters back into the same config (round trip)', () => {
    const config = defaultConfig();
    const params = configToParameters(config);
    assert.deepEqual(parametersToConfig(params, 'test'), config);
  });

  it('takes values as rclnodejs gives them: BigInt integers, integer overrides of doubles, typed arrays', () => {
    const config = parametersToConfig(
      [
        { name: 'planner.ddim_steps', value: 20n },
        { name: 'controller.rate_hz', value: 50n }, // `rate_hz: 50` in a YAML file is an INTEGER parameter
        { name: 'use_sim_time', value: true },
        { name: 'qos_overrides./camera.subscription.depth', value: 5n },
      ],
      'node /svnav_controller',
    );
    assert.equal(config.planner.ddim_steps, 20);
    assert.equal(config.controller.rate_hz, 50);
  });

  it('reports a misspelt parameter from a params file with the node name and the allowed keys', () => {
    assert.throws(
      () =>
        parametersToConfig(
          [{ name: 'controller.max_speed', value: 1 }],
          'ROS parameters of node /svnav_controller',
        ),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.startsWith('ROS parameters of node /svnav_controller: invalid configuration') &&
        /controller\.max_speed: unknown key \(allowed: cmd_vel_topic/.test(err.message),
    );
  });

  it('declares the values of config/go2.yaml (what --params-file passes) without integer arrays', () => {
    const params = configToParameters(loadConfigFile('config/go2.yaml'));
    assert.equal(params.find((p) => p.name === 'camera.mount_height_m')?.value, 0.32);
    assert.deepEqual(params.find((p) => p.name === 'model.execution_providers')?.value, ['cuda', 'cpu']);
  });
});
