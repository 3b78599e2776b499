export { VIZ_TOPICS, VIZ_TOPIC_TYPES, FoxgloveTypes } from './topics';
export type { VizTopic } from './topics';
export {
  clipPolylinesToImage,
  mountRotation,
  mountTranslation,
  projectGroundPolyline,
  projectOptical,
} from './camera';
export type { ImagePoint } from './camera';
export {
  frameTransforms,
  pathImageAnnotations,
  pathPosesInFrame,
  pathSceneUpdate,
  timeColor,
} from './foxglove';
export type { AnnotationOptions, SceneOptions, TransformsInput } from './foxglove';
export { VizNode } from './node';
export {
  CLOSE_CODES,
  FOXGLOVE_SUBPROTOCOLS,
  FoxgloveLiveServer,
  LiveServerError,
  checkClientMessage,
  latchedTopicsFor,
} from './live-server';
export type { LiveServerOptions } from './live-server';
export { LineType, PointsAnnotationType } from './foxglove-msgs';
export type * from './foxglove-msgs';
