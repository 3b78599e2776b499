/**
 * CDR encoding and decoding of ROS 2 messages from their ros2msg schema text, with one compiled reader/writer
 * per schema text (parsing a definition costs far more than a message).
 */
import { parse } from '@foxglove/rosmsg';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { ensureUtf8CdrStrings } from './cdr-utf8';
import { BagError, describeError } from './errors';
import { MessageDefinitionRegistry, shortTypeName } from './schemas';

// Every encoder in this process (bags, the live view) goes through here: strings must be written as UTF-8.
ensureUtf8CdrStrings();

export class CdrCodec {
  readonly registry: MessageDefinitionRegistry;
  readonly #readers = new Map<string, MessageReader>();
  readonly #writers = new Map<string, MessageWriter>();

  constructor(registry: MessageDefinitionRegistry = MessageDefinitionRegistry.withDefaults()) {
    this.registry = registry;
  }

  /** Merged schema text of `type` from the registry (throws a BagError naming a missing type). */
  schemaOf(type: string): string {
    return this.registry.mergedSchema(type);
  }

  encode(type: string, message: unknown): Uint8Array {
    return this.encodeWithSchema(type, this.schemaOf(type), message);
  }

  decode<T = unknown>(type: string, data: ArrayBufferView): T {
    return this.decodeWithSchema<T>(type, this.schemaOf(type), data);
  }

  encodeWithSchema(type: string, schema: string, message: unknown): Uint8Array {
    let writer = this.#writers.get(schema);
    if (!writer) {
      writer = new MessageWriter(parseSchema(type, schema));
      this.#writers.set(schema, writer);
    }
    try {
      return writer.writeMessage(message);
    } catch (err) {
      throw new BagError(`cannot CDR-encode ${type}: ${describeError(err)}`, undefined, undefined, {
        cause: err,
      });
    }
  }

  decodeWithSchema<T = unknown>(type: string, schema: string, data: ArrayBufferView): T {
    let reader = this.#readers.get(schema);
    if (!reader) {
      reader = new MessageReader(parseSchema(type, schema));
      this.#readers.set(schema, reader);
    }
    try {
      return reader.readMessage<T>(data);
    } catch (err) {
      throw new BagError(
        `cannot CDR-decode ${type} (${data.byteLength} bytes): ${describeError(err)}`,
        undefined,
        undefined,
        {
          cause: err,
        },
      );
    }
  }
}

function parseSchema(type: string, schema: string): ReturnType<typeof parse> {
  try {
    const definitions = parse(schema, { ros2: true });
    if (definitions.length === 0) throw new Error('no definitions');
    return definitions;
  } catch (err) {
    throw new BagError(
      `cannot parse ros2msg schema of ${shortTypeName(type)}: ${describeError(err)}`,
      undefined,
      undefined,
      {
        cause: err,
      },
    );
  }
}
