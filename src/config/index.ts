export { ConfigError, defaultConfig, loadConfigFile, parseConfig, unwrapRosParameters } from './load';
export * from './schema';
