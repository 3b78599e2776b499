import { strict as assert } from 'node:assert';
import { defaultConfig } from '../../../src/config';
import { ControllerNode, LIVE_CONTROLLER_PARAMETERS } from '../../../src/nodes/controller/node';
import {
  applyParameterChanges,
  configToParameters,
  inParameterScope,
  NODE_PARAMETER_SCOPES,
} from '../../../src/transport/ros/parameters';
import { InMemoryTransport } from '../../../src/transport/memory';

describe('ROS parameters: per-node scopes and run-time changes', () => {
  const names = configToParameters(defaultConfig()).map((p) => p.name);
  const scoped = (node: string) => names.filter((n) => inParameterScope(n, NODE_PARAMETER_SCOPES[node]));

  it('gives each node its own section and the few shared keys it reads, not every key', () => {
    const controller = scoped('svnav_controller');
    assert.ok(controller.includes('controller.max_vx_mps'));
    assert.ok(controller.includes('safety.planner_heartbeat_timeout_s'));
    assert.ok(controller.includes('planner.plan_topic'));
    assert.ok(!controller.includes('model.dir') && !controller.includes('camera.topic'));
    const planner = scoped('svnav_planner');
    assert.ok(planner.includes('model.dir') && planner.includes('camera.topic'));
    assert.ok(!planner.includes('controller.max_vx_mps'));
    assert.deepEqual(
      scoped('svnav_camera_relay').every((n) => n.startsWith('camera.')),
      true,
    );
    assert.ok(controller.length < names.length && planner.length < names.length);
  });

  it('applies a valid change and returns the whole new config', () => {
    const base = defaultConfig();
    const r = applyParameterChanges(base, [{ name: 'controller.max_vx_mps', value: 0.05 }], undefined);
    assert.ok('config' in r);
    assert.equal(r.config.controller.max_vx_mps, 0.05);
    assert.equal(r.config.controller.max_vy_mps, base.controller.max_vy_mps);
    assert.equal(base.controller.max_vx_mps, 0.5, 'the running config is not mutated');
  });

  it('refuses an out-of-range value with the schema reason, and a key of another node', () => {
    const base = defaultConfig();
    const range = applyParameterChanges(base, [{ name: 'controller.max_vx_mps', value: 9 }], undefined);
    assert.ok('error' in range);
    assert.match(range.error, /max_vx_mps/);
    const foreign = applyParameterChanges(
      base,
      [{ name: 'model.dir', value: '/x' }],
      NODE_PARAMETER_SCOPES.svnav_controller,
    );
    assert.deepEqual(foreign, { error: 'model.dir is not a parameter of this node' });
  });

  it('the controller applies live keys from its next step and refuses the rest with "restart to apply"', () => {
    const node = new ControllerNode(new InMemoryTransport(), defaultConfig());
    const next = applyParameterChanges(
      defaultConfig(),
      [{ name: 'controller.max_vx_mps', value: 0.1 }],
      undefined,
    );
    assert.ok('config' in next);
    assert.equal(node.reconfigure(next.config, ['controller.max_vx_mps']), undefined);
    assert.match(node.reconfigure(next.config, ['controller.rate_hz']) ?? '', /rate_hz .*restart to apply/);
    assert.ok(LIVE_CONTROLLER_PARAMETERS.every((n) => scoped('svnav_controller').includes(n)));
  });
});
