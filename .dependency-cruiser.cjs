// The layering of SYSTEM.md §7 as rules, checked by `npm run lint:deps` (part of `npm test`). The data flow runs
// camera → history → planner → controller → robot; visualisation and bags sit at the side. A rule names the layer
// that must not know another, so a failing import says which promise of §7 it breaks.
const layer = (...names) => `^src/(${names.join('|')})(/|\\.ts$)`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import loop means two modules are one module in two files.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'viz-is-a-leaf',
      severity: 'error',
      comment:
        'Visualisation turns plans and latents into Foxglove messages; nothing upstream depends on it. Only the ' +
        'CLI, the bag replay and the package entry wire it in.',
      from: { path: '^src/', pathNot: [layer('viz', 'cli', 'replay'), '^src/index\\.ts$'] },
      to: { path: layer('viz') },
    },
    {
      name: 'controller-is-consumed-only-by-its-node',
      severity: 'error',
      comment:
        'The control law is a consumer of plans, not a library: planner, viz and eval read the shared geometry ' +
        'core, never controller/.',
      from: { path: layer('planner', 'viz', 'eval', 'geometry', 'camera', 'model', 'bag', 'messages') },
      to: { path: layer('controller') },
    },
    {
      name: 'controller-is-pure',
      severity: 'error',
      comment:
        'Plans, odometry and time in, velocity commands out: the controller must keep working when the planner ' +
        'is gone, so it never imports inference, ROS, bags or nodes.',
      from: { path: layer('controller') },
      to: {
        path: [
          layer(
            'model',
            'planner',
            'transport',
            'nodes',
            'bag',
            'replay',
            'viz',
            'cli',
            'eval',
            'camera',
            'io',
          ),
          '^node_modules/(onnxruntime-node|rclnodejs|@mcap|sharp)/',
          '^rclnodejs$',
        ],
      },
    },
    {
      name: 'geometry-is-the-core',
      severity: 'error',
      comment:
        'SE(2), trajectories and frames are shared by everyone, so they depend on no one but messages.',
      from: { path: layer('geometry') },
      to: { path: '^src/', pathNot: [layer('geometry', 'messages')] },
    },
    {
      name: 'networks-know-no-runtime',
      severity: 'error',
      comment:
        'The graph builder and the networks write ONNX files and a manifest; they know nothing of ROS or bags.',
      from: { path: layer('model') },
      to: {
        path: [
          layer('planner', 'nodes', 'transport', 'bag', 'replay', 'viz', 'controller', 'cli', 'eval'),
          '^node_modules/(rclnodejs|@mcap)/',
        ],
      },
    },
    {
      name: 'planner-knows-no-ros',
      severity: 'error',
      comment:
        'The planner runtime knows ONNX Runtime and the manifest: frames and instructions in, plans out.',
      from: { path: layer('planner') },
      to: {
        path: [
          layer('nodes', 'transport', 'bag', 'replay', 'viz', 'cli', 'eval'),
          '^node_modules/(rclnodejs|@mcap)/',
        ],
      },
    },
    {
      name: 'only-transport-adapters-touch-ros',
      severity: 'error',
      comment:
        'Node logic talks to the Transport interface, so the same node runs on a robot, in tests and in replay.',
      from: { path: '^src/', pathNot: '^src/transport/ros/' },
      // rclnodejs is only installed where ROS 2 is sourced; unresolved, it is seen under its bare name.
      to: { path: ['^node_modules/rclnodejs/', '^rclnodejs$'] },
    },
    {
      name: 'only-bag-touches-mcap',
      severity: 'error',
      comment: 'MCAP is a storage format: bag/ reads and writes it, everyone else sees messages.',
      from: { path: '^src/', pathNot: layer('bag') },
      to: { path: '^node_modules/@mcap/' },
    },
    {
      name: 'lower-floors-do-not-reach-up',
      severity: 'error',
      comment:
        'Messages, config, camera, io, geometry and stats are the ground floor: they never import the floors above.',
      from: { path: layer('messages', 'config', 'camera', 'io', 'geometry', 'stats') },
      to: {
        path: layer(
          'planner',
          'controller',
          'nodes',
          'transport',
          'replay',
          'viz',
          'cli',
          'eval',
          'bag',
          'model',
        ),
      },
    },
    {
      name: 'nodes-are-wired-not-imported',
      severity: 'error',
      comment: 'Nodes sit at the top of the flow; only the CLI, the replay and the package entry start them.',
      from: { path: '^src/', pathNot: [layer('nodes', 'cli', 'replay'), '^src/index\\.ts$'] },
      to: { path: layer('nodes') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: ['^src/', '^node_modules/', '^rclnodejs$'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    moduleSystems: ['cjs', 'es6'],
  },
};
