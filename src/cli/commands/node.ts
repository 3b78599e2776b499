import type { Command } from 'commander';
import { defaultConfig, loadConfigFile, type SvnavConfig } from '../../config';
import { PlannerNodeEntry } from '../../nodes/planner/entry';
import { CameraRelayNode } from '../../nodes/camera-relay';
import { ControllerNode } from '../../nodes/controller/node';
import { RosEnvironmentError } from '../../transport/ros/environment';
import { onTerminationRequest } from '../../transport/ros/termination';
import { loadRclnodejsTransport, type LoadOptions } from '../../transport/ros/load';
import type { RosTransport } from '../../transport/ros/types';
import type { Transport } from '../../transport/transport';
import { VizNode } from '../../viz/node';

/** What a node class offers the entry point: start, and a stop that leaves the robot standing. */
export interface RunnableNode {
  start(): void;
  stop(reason: string): Promise<void>;
}

interface NodeEntry {
  /** Default ROS node name (a launch file may remap it with `-r __node:=…`). */
  readonly nodeName: string;
  /** Interface packages the node talks in, checked on AMENT_PREFIX_PATH before rclnodejs is loaded. */
  readonly requiredPackages: readonly string[];
  readonly packagesForConfig?: (config: SvnavConfig) => readonly string[];
  readonly create: (transport: Transport, config: SvnavConfig) => RunnableNode;
}

/** The `ros2 launch` entry points. */
export const NODES: Readonly<Record<string, NodeEntry | undefined>> = {
  controller: {
    nodeName: 'svnav_controller',
    requiredPackages: ['std_msgs', 'geometry_msgs', 'nav_msgs', 'sparse_video_nav'],
    // StopMove is a unitree_api/msg/Request: fail at start rather than at the first stop.
    packagesForConfig: (config) =>
      config.safety.stop_mode === 'zero_twist_and_stop_move' ? ['unitree_api'] : [],
    create: (transport, config) => new ControllerNode(transport, config),
  },
  'camera-relay': {
    nodeName: 'svnav_camera_relay',
    requiredPackages: ['sensor_msgs'],
    create: (transport, config) => new CameraRelayNode(transport, config),
  },
  planner: {
    nodeName: 'svnav_planner',
    requiredPackages: ['std_msgs', 'sensor_msgs', 'nav_msgs', 'sparse_video_nav'],
    create: (transport, config) => new PlannerNodeEntry(transport, config),
  },
  // Foxglove views for foxglove_bridge; beside the planner, so that a viewer on the planner host needs no
  // Wi-Fi hop. It commands nothing: if it fails or is missing, navigation is unaffected.
  viz: {
    nodeName: 'svnav_viz',
    requiredPackages: ['nav_msgs', 'sensor_msgs', 'tf2_msgs', 'foxglove_msgs', 'sparse_video_nav'],
    create: (transport, config) => {
      const viz = new VizNode(transport, config);
      return { start: () => viz.start(), stop: () => Promise.resolve(viz.stop()) };
    },
  },
};

/** Exit status when ROS 2 is not usable (not sourced, rclnodejs missing or not built). */
export const EXIT_NO_ROS = 2;
/** Exit status of a node that is not available in this version (refused: nothing was started). */
export const EXIT_UNAVAILABLE = 2;

export interface NodeCommandDeps {
  loadTransport(options: LoadOptions): Promise<{ transport: RosTransport }>;
  /** Calls `handler` on SIGINT/SIGTERM/SIGHUP; returns a function that removes it. */
  onShutdownSignal(handler: (signal: string) => void): () => void;
  error(message: string): void;
}

export const processDeps: NodeCommandDeps = {
  loadTransport: loadRclnodejsTransport,
  // SIGINT/SIGTERM/SIGHUP/SIGQUIT, and the death of the parent (`ros2 launch` killed by SIGTERM orphans nodes).
  onShutdownSignal: (handler) => onTerminationRequest(handler),
  error: (message) => console.error(message),
};

export function registerNodeCommand(program: Command, deps: NodeCommandDeps = processDeps): void {
  program
    .command('node')
    .description('run a ROS 2 node (the entry point `ros2 launch sparse_video_nav …` starts)')
    .argument('<name>', `node to run: ${Object.keys(NODES).join(' | ')}`)
    .option('--config <file>', 'parameter file whose values are the declared defaults (ROS overrides win)')
    // `ros2 launch` appends `--ros-args -r __node:=… --params-file …`; rclnodejs reads those from process.argv.
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (name: string, options: { config?: string }) => {
      process.exitCode = await runNode(name, options, deps);
    });
}

/** Runs one node until SIGINT/SIGTERM; resolves to the process exit status. */
export async function runNode(
  name: string,
  options: { config?: string },
  deps: NodeCommandDeps,
): Promise<number> {
  if (!(name in NODES)) {
    deps.error(`svnav node: unknown node "${name}"; choose one of: ${Object.keys(NODES).join(', ')}`);
    return 2;
  }
  const entry = NODES[name];
  if (!entry) {
    deps.error(
      `svnav node: the ${name} node is not available in this version yet; ` +
        `available: ${Object.entries(NODES)
          .filter(([, e]) => e)
          .map(([n]) => n)
          .join(', ')}`,
    );
    return EXIT_UNAVAILABLE;
  }
  const baseConfig = options.config ? loadConfigFile(options.config) : defaultConfig();
  let transport: RosTransport;
  try {
    ({ transport } = await deps.loadTransport({
      nodeName: entry.nodeName,
      baseConfig,
      requiredPackages: entry.requiredPackages,
      ...(entry.packagesForConfig ? { packagesForConfig: entry.packagesForConfig } : {}),
    }));
  } catch (err) {
    if (!(err instanceof RosEnvironmentError)) throw err;
    deps.error(`svnav node ${name}: ${err.message}`);
    return EXIT_NO_ROS;
  }
  const config = transport.config;
  const node = entry.create(transport, config);
  node.start();
  transport.log.info(`svnav ${name} node running on ${transport.name}`);
  const signal = await new Promise<string>((resolve) => {
    const remove = deps.onShutdownSignal((s) => {
      remove();
      resolve(s);
    });
  });
  transport.log.info(`svnav ${name}: ${signal}, stopping`);
  try {
    await node.stop(`shutdown (${signal})`);
  } finally {
    await transport.close();
  }
  return 0;
}
