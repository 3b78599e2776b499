import type { DefinitionSource } from '../bag/schemas';
import { UNITREE_API_DEFINITIONS } from '../messages/unitree-api';

/** The Unitree sport API request definitions, so StopMove requests can be recorded in a bag. */
export function unitreeApiSource(): DefinitionSource {
  return (short) => UNITREE_API_DEFINITIONS[short];
}
