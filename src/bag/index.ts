export { BagError } from './errors';
export {
  MessageDefinitionRegistry,
  SCHEMA_SEPARATOR,
  PACKAGE_NAME,
  schemaName,
  shortTypeName,
  splitMergedSchema,
  fieldDependencies,
  findPackageMsgDir,
} from './schemas';
export type { DefinitionSource } from './schemas';
export { CdrCodec } from './codec';
export { openBag } from './reader';
export type { BagReader, BagTopic, BagMessage, BagMessagesOptions, BagReaderOptions } from './reader';
export { BagWriter } from './writer';
export type { BagWriterOptions } from './writer';
export { offeredQosYaml, SENSOR_QOS, RELIABLE_QOS } from './qos';
export type { QosProfile } from './qos';
export { generateDemoBag, DEMO_TOPICS, DEMO_FRAME_IDS } from './demo-bag';
export type { DemoBagOptions, DemoBagResult } from './demo-bag';
