import type { SvnavConfig } from '../../config/schema';
import type { Transport } from '../transport';
import { checkRosEnvironment, type RosEnvironment } from './environment';

/** A transport on a ROS 2 node, with the config read from the node's parameters. */
export interface RosTransport extends Transport {
  readonly config: SvnavConfig;
}

export interface RclnodejsTransportOptions {
  readonly nodeName: string;
  readonly namespace?: string;
  /** Defaults of the declared parameters (a --config file or the schema defaults); ROS overrides win. */
  readonly baseConfig: SvnavConfig;
  /** Parameters the node declares (see NODE_PARAMETER_SCOPES, the default for the known node names). */
  readonly parameterScope?: readonly string[];
}

/** What rclnodejs-transport.ts exports; checked against the real module by `npm run typecheck:ros`. */
export type RosTransportFactory = (options: RclnodejsTransportOptions) => Promise<RosTransport>;

export interface LoadOptions extends RclnodejsTransportOptions {
  /** Interface packages the node needs on AMENT_PREFIX_PATH. */
  readonly requiredPackages?: readonly string[];
  /** More packages, known once the config is read from the parameters (e.g. unitree_api for StopMove). */
  readonly packagesForConfig?: (config: SvnavConfig) => readonly string[];
}

/**
 * Checks the ROS environment (throws RosEnvironmentError with what to do) and only then loads the rclnodejs
 * adapter. The adapter is required by path at run time, so that nothing imports rclnodejs speculatively and the
 * main type-check does not need rclnodejs's types (tsconfig.ros.json checks the adapter).
 */
export async function loadRclnodejsTransport(
  options: LoadOptions,
): Promise<{ transport: RosTransport; environment: RosEnvironment }> {
  const environment = checkRosEnvironment({ requiredPackages: options.requiredPackages ?? [] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const adapter = require('./rclnodejs-transport') as { createRclnodejsTransport: RosTransportFactory };
  const transport = await adapter.createRclnodejsTransport(options);
  const more = options.packagesForConfig?.(transport.config) ?? [];
  if (more.length > 0) {
    try {
      checkRosEnvironment({ requiredPackages: more });
    } catch (err) {
      await transport.close();
      throw err;
    }
  }
  return { transport, environment };
}
