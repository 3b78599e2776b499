import type { SvnavConfig } from '../../config/schema';
import type { Transport } from '../transport';

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
