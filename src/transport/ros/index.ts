// rclnodejs-transport.ts is deliberately not exported here: it is loaded by loadRclnodejsTransport after the
// environment check, never imported.
export { checkRosEnvironment, RosEnvironmentError, systemProbe } from './environment';
export type { EnvironmentProbe, RosEnvironment, RosEnvironmentOptions } from './environment';
export { loadRclnodejsTransport } from './load';
export type { LoadOptions } from './load';
export type { RclnodejsTransportOptions, RosTransport, RosTransportFactory } from './types';
export { configToParameters, integerKeys, parametersToConfig } from './parameters';
export type { ConfigParameter, ParameterKind } from './parameters';
