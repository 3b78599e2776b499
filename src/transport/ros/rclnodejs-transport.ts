import * as rclnodejs from 'rclnodejs';
import { Observable } from 'rxjs';
import type { SvnavConfig } from '../../config/schema';
import type { TimeNs } from '../../messages/time';
import type { Clock, Logger, Publisher, QosProfile } from '../transport';
import { Qos } from '../transport';
import type { RclnodejsTransportOptions, RosTransport, RosTransportFactory } from './load';
import { configToParameters, parametersToConfig, type ParameterKind } from './parameters';

/**
 * The rclnodejs implementation of Transport. Load it only through `loadRclnodejsTransport` (load.ts), after
 * `checkRosEnvironment` passed: importing rclnodejs without a sourced ROS 2 damages its install.
 */

/** The entry point load.ts requires; typed so that `npm run typecheck:ros` checks the contract. */
export const createRclnodejsTransport: RosTransportFactory = (options) => RclnodejsTransport.create(options);

type TypeName = rclnodejs.MessageTypeClassName;

const PARAMETER_TYPES: Record<ParameterKind, rclnodejs.ParameterType> = {
  bool: rclnodejs.ParameterType.PARAMETER_BOOL,
  integer: rclnodejs.ParameterType.PARAMETER_INTEGER,
  double: rclnodejs.ParameterType.PARAMETER_DOUBLE,
  string: rclnodejs.ParameterType.PARAMETER_STRING,
  bool_array: rclnodejs.ParameterType.PARAMETER_BOOL_ARRAY,
  double_array: rclnodejs.ParameterType.PARAMETER_DOUBLE_ARRAY,
  string_array: rclnodejs.ParameterType.PARAMETER_STRING_ARRAY,
};

export class RclnodejsTransport implements RosTransport {
  readonly name = 'rclnodejs';
  readonly clock: Clock;
  readonly log: Logger;
  /** The config the node runs with: declared parameters read back and validated. */
  readonly config: SvnavConfig;
  readonly #node: rclnodejs.Node;
  #closed = false;

  private constructor(node: rclnodejs.Node, config: SvnavConfig) {
    this.#node = node;
    this.config = config;
    const logger = node.getLogger();
    this.log = {
      debug: (m) => void logger.debug(m),
      info: (m) => void logger.info(m),
      warn: (m) => void logger.warn(m),
      error: (m) => void logger.error(m),
    };
    this.clock = {
      now: () => node.getClock().now().nanoseconds,
      interval: (periodNs: TimeNs) =>
        new Observable<TimeNs>((subscriber) => {
          const timer = node.createTimer(periodNs, () => subscriber.next(node.getClock().now().nanoseconds));
          return () => {
            if (!this.#closed) node.destroyTimer(timer);
          };
        }),
    };
  }

  /**
   * Initialises rclnodejs from process.argv (so `--ros-args --params-file … -r …` from `ros2 launch` apply),
   * creates the node, declares every config key as a parameter, reads the config back and starts spinning.
   */
  static async create(options: RclnodejsTransportOptions): Promise<RclnodejsTransport> {
    await rclnodejs.init();
    // Our SIGINT/SIGTERM handler must publish a zero Twist before the context goes down.
    rclnodejs.removeSignalHandlers();
    const node = rclnodejs.createNode(options.nodeName, options.namespace ?? '');
    let config: SvnavConfig;
    try {
      const declared = configToParameters(options.baseConfig).map(
        (p) => new rclnodejs.Parameter(p.name, PARAMETER_TYPES[p.kind], p.value),
      );
      node.declareParameters(declared);
      const undeclared = node.getParameterOverrides().filter((p) => !node.hasParameter(p.name));
      config = parametersToConfig(
        [...node.getParameters(), ...undeclared].map((p) => ({ name: p.name, value: p.value })),
        `ROS parameters of node ${node.getFullyQualifiedName()}`,
      );
    } catch (err) {
      node.destroy();
      rclnodejs.shutdown();
      throw err;
    }
    node.spin();
    return new RclnodejsTransport(node, config);
  }

  subscribe<T>(topic: string, type: string, qos: QosProfile = Qos.commands): Observable<T> {
    return new Observable<T>((subscriber) => {
      // Options before the callback: the other order silently drops the QoS (ENVIRONMENT.md).
      const subscription = this.#node.createSubscription(
        type as TypeName,
        topic,
        { qos: toRclQos(qos) },
        (message: unknown) => subscriber.next(message as T),
      );
      return () => {
        if (!this.#closed) this.#node.destroySubscription(subscription);
      };
    });
  }

  createPublisher<T>(topic: string, type: string, qos: QosProfile = Qos.commands): Publisher<T> {
    const publisher = this.#node.createPublisher(type as TypeName, topic, { qos: toRclQos(qos) });
    let open = true;
    return {
      topic,
      publish: (message: T) => {
        if (open && !this.#closed) publisher.publish(message as rclnodejs.Message);
      },
      close: () => {
        if (open && !this.#closed) this.#node.destroyPublisher(publisher);
        open = false;
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#node.destroy();
    if (!rclnodejs.isShutdown()) rclnodejs.shutdown();
  }
}

/** Our QoS profile → an rclnodejs QoS: keep-last history of `depth`. */
export function toRclQos(qos: QosProfile): rclnodejs.QoS {
  return new rclnodejs.QoS(
    rclnodejs.QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    qos.depth,
    qos.reliability === 'best_effort'
      ? rclnodejs.QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT
      : rclnodejs.QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
    qos.durability === 'transient_local'
      ? rclnodejs.QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
      : rclnodejs.QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}
