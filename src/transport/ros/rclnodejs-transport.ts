import * as rclnodejs from 'rclnodejs';
import { Observable } from 'rxjs';
import type { SvnavConfig } from '../../config/schema';
import type { TimeNs } from '../../messages/time';
import type { Clock, Logger, ParameterChangeHandler, Publisher, QosProfile } from '../transport';
import { Qos } from '../transport';
import type { RclnodejsTransportOptions, RosTransport, RosTransportFactory } from './types';
import {
  applyParameterChanges,
  configToParameters,
  inParameterScope,
  isRosOwnParameter,
  NODE_PARAMETER_SCOPES,
  parametersToConfig,
  type ParameterKind,
} from './parameters';

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
  readonly #node: rclnodejs.Node;
  readonly #scope: readonly string[] | undefined;
  #config: SvnavConfig;
  #parameterHandler: ParameterChangeHandler | undefined;
  #closed = false;

  private constructor(node: rclnodejs.Node, config: SvnavConfig, scope: readonly string[] | undefined) {
    this.#node = node;
    this.#config = config;
    this.#scope = scope;
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

  /** The config the node runs with: its parameters read back and validated, then each accepted change. */
  get config(): SvnavConfig {
    return this.#config;
  }

  /**
   * Initialises rclnodejs from process.argv (so `--ros-args --params-file … -r …` from `ros2 launch` apply),
   * creates the node, declares the node's own parameters, reads the config back and starts spinning.
   */
  static async create(options: RclnodejsTransportOptions): Promise<RclnodejsTransport> {
    await rclnodejs.init();
    // Our SIGINT/SIGTERM handler must publish a zero Twist before the context goes down.
    rclnodejs.removeSignalHandlers();
    const node = rclnodejs.createNode(options.nodeName, options.namespace ?? '');
    const scope = options.parameterScope ?? NODE_PARAMETER_SCOPES[options.nodeName];
    let transport: RclnodejsTransport;
    try {
      transport = new RclnodejsTransport(node, declareConfig(node, options.baseConfig, scope), scope);
    } catch (err) {
      node.destroy();
      rclnodejs.shutdown();
      throw err;
    }
    transport.#watchParameters();
    followSimulatedClock(node);
    node.spin();
    return transport;
  }

  onParameterChange(handler: ParameterChangeHandler): void {
    this.#parameterHandler = handler;
  }

  /** `ros2 param set`: validated with the config schema, then applied by the node's handler or refused. */
  #watchParameters(): void {
    const node = this.#node;
    node.addOnSetParametersCallback((parameters: rclnodejs.Parameter[]) => {
      const changes = parameters
        .filter((p) => !isRosOwnParameter(p.name))
        .map((p) => ({ name: p.name, value: p.value as unknown }));
      if (changes.length === 0) return { successful: true, reason: '' };
      const names = changes.map((c) => c.name);
      const applied = applyParameterChanges(this.#config, changes, this.#scope);
      let refusal: string | undefined;
      if ('error' in applied) refusal = applied.error;
      else if (!this.#parameterHandler) refusal = `${names.join(', ')}: restart the node to apply`;
      else refusal = this.#parameterHandler(applied.config, names);
      if (refusal !== undefined || 'error' in applied) {
        this.log.warn(`parameter change refused: ${refusal}`);
        return { successful: false, reason: refusal ?? '' };
      }
      this.#config = applied.config;
      this.log.info(`parameters changed: ${changes.map((c) => `${c.name}=${String(c.value)}`).join(', ')}`);
      return { successful: true, reason: '' };
    });
    // rclnodejs's own type check answers "Parameter x does not  readonly"; say what was expected instead.
    const internals = node as unknown as {
      _validateParameters?: (
        ps: rclnodejs.Parameter[],
        declaring: boolean,
      ) => { successful: boolean; reason: string | null };
    };
    const validate = internals._validateParameters?.bind(node);
    if (!validate) return;
    internals._validateParameters = (ps, declaring) => {
      for (const p of ps) {
        if (!node.hasParameter(p.name) || p.type === rclnodejs.ParameterType.PARAMETER_NOT_SET) continue;
        const declared = node.getParameter(p.name).type;
        if (declared !== p.type) {
          return {
            successful: false,
            reason: `${p.name} takes a ${typeName(declared)}, not a ${typeName(p.type)} (e.g. 0.2, not 0, for a double)`,
          };
        }
      }
      return validate(ps, declaring);
    };
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

/**
 * Declares the node's own parameters (defaults from `base`, overrides from the parameter files applied by
 * rclnodejs) and reads the whole config back: `base` for other nodes' keys, then the declared values, then the
 * overrides that match no declared name, so a misspelt key in a parameter file is reported rather than ignored.
 */
function declareConfig(
  node: rclnodejs.Node,
  base: SvnavConfig,
  scope: readonly string[] | undefined,
): SvnavConfig {
  const all = configToParameters(base);
  node.declareParameters(
    all
      .filter((p) => inParameterScope(p.name, scope))
      .map((p) => new rclnodejs.Parameter(p.name, PARAMETER_TYPES[p.kind], p.value)),
  );
  const others = all.filter((p) => !node.hasParameter(p.name)).map((p) => ({ name: p.name, value: p.value }));
  const undeclared = node.getParameterOverrides().filter((p) => !node.hasParameter(p.name));
  return parametersToConfig(
    [...others, ...[...node.getParameters(), ...undeclared].map((p) => ({ name: p.name, value: p.value }))],
    `ROS parameters of node ${node.getFullyQualifiedName()}`,
  );
}

/**
 * With use_sim_time, rclnodejs subscribes /clock as reliable while `ros2 bag play --clock` (rclcpp's ClockQoS)
 * offers best-effort: DDS calls the pair incompatible and ROS time stays 0. A best-effort reader takes both.
 */
function followSimulatedClock(node: rclnodejs.Node): void {
  if (!node.hasParameter('use_sim_time') || node.getParameter('use_sim_time').value !== true) return;
  const clock = node.getClock() as rclnodejs.Clock & { rosTimeOverride?: rclnodejs.Time };
  node.createSubscription(
    'rosgraph_msgs/msg/Clock',
    '/clock',
    { qos: toRclQos({ reliability: 'best_effort', durability: 'volatile', depth: 1 }) },
    (msg: rclnodejs.rosgraph_msgs.msg.Clock) => {
      clock.rosTimeOverride = rclnodejs.Time.fromMsg(msg.clock);
    },
  );
}

function typeName(type: rclnodejs.ParameterType): string {
  const entry = Object.entries(PARAMETER_TYPES).find(([, t]) => t === type);
  return entry ? entry[0].replace('_', ' ') : `type ${String(type)}`;
}
