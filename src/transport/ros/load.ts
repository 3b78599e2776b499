import type { SvnavConfig } from '../../config/schema';
import { checkRosEnvironment, type RosEnvironment } from './environment';
import type { RclnodejsTransportOptions, RosTransport, RosTransportFactory } from './types';

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
