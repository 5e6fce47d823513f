import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';
import { MAX_IMAGE_BYTES } from '../services/media/image-input.ts';

/**
 * Registers routes that take JSON or multipart/form-data (the image endpoints) in a scope of their own:
 * multipart is parsed only there, so every other route still answers 415 to anything but JSON.
 */
export function registerMediaScope(
  app: FastifyInstance,
  register: (scope: FastifyInstance) => void,
  limits: { maxFileBytes?: number; files?: number } = {},
): void {
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: limits.maxFileBytes ?? MAX_IMAGE_BYTES,
        files: limits.files ?? 4,
        fields: 32,
        fieldSize: 256 * 1024,
        parts: 40,
      },
    });
    register(scope);
  });
}

/**
 * The request's fields, from JSON or from a multipart form. In a form, text fields are strings and file
 * parts are Buffers; a name sent twice becomes an array (a schema that wants one value refuses it). A
 * file part over the limit is 413 PAYLOAD_TOO_LARGE. Multipart fields need schemas that accept strings
 * for numbers and booleans (z.coerce, z.stringbool).
 */
export async function readMediaBody(
  request: FastifyRequest,
): Promise<{ fields: unknown; multipart: boolean }> {
  if (!request.isMultipart()) return { fields: request.body, multipart: false };
  const fields = new FormFields();
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') fields.add(part.fieldname, part.value);
      else fields.add(part.fieldname, await part.toBuffer());
    }
  } catch (error) {
    throw formError(request, error);
  }
  return { fields: fields.toObject(), multipart: true };
}

/** A form's values by name; a name sent twice becomes an array (a schema that wants one value refuses it). */
class FormFields {
  private readonly values = new Map<string, unknown>();

  add(name: string, value: unknown): void {
    const previous = this.values.get(name);
    this.values.set(
      name,
      previous === undefined
        ? value
        : [...(Array.isArray(previous) ? previous : [previous]), value],
    );
  }

  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.values);
  }
}

/** INVENTORY §1.4 / §4.2 (PayloadTooLargeError): the body Venice sends for an upload over 25 MB. */
export function fileTooLarge(): VeniceError {
  return new VeniceError('PAYLOAD_TOO_LARGE', {
    message: 'File exceeds the maximum allowed size of 25 MB.',
    extra: { code: 'PAYLOAD_TOO_LARGE' },
  });
}

/** A form of text fields and one upload in the part named `file`. */
export interface FileForm {
  /** Text fields as strings, `file` as its bytes (arrays for names sent twice). */
  fields: Record<string, unknown>;
  filename?: string;
  contentType?: string;
}

/**
 * Reads a form whose one upload is the part `file`. Other file parts are drained; with `markOtherFiles` each also
 * leaves `[file <name>]` under its field name, so a strict schema names it. A file over the limit is fileTooLarge().
 */
export async function readFileForm(
  request: FastifyRequest,
  options: { markOtherFiles: boolean },
): Promise<FileForm> {
  const fields = new FormFields();
  const upload: Omit<FileForm, 'fields'> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        fields.add(part.fieldname, part.value);
      } else if (part.fieldname === 'file') {
        fields.add('file', await part.toBuffer());
        Object.assign(upload, { filename: part.filename, contentType: part.mimetype });
      } else {
        part.file.resume();
        if (options.markOtherFiles) fields.add(part.fieldname, `[file ${part.filename}]`);
      }
    }
  } catch (error) {
    throw formError(request, error, fileTooLarge);
  }
  return { fields: fields.toObject(), ...upload };
}

/**
 * What a failure while reading a form's parts is to the client: a file over the limit is `tooLarge` (413), too many
 * parts a 400, and so is a malformed body (no or another boundary, cut short, broken part headers: busboy's
 * errors, which carry no code), never a 500: none of the route's own work has started.
 */
export function formError(
  request: FastifyRequest,
  error: unknown,
  tooLarge: () => VeniceError = () => new VeniceError('PAYLOAD_TOO_LARGE'),
): VeniceError {
  const errors = request.server.multipartErrors;
  if (error instanceof VeniceError) return error;
  if (error instanceof errors.RequestFileTooLargeError) return tooLarge();
  if (
    error instanceof errors.FilesLimitError ||
    error instanceof errors.PartsLimitError ||
    error instanceof errors.FieldsLimitError
  ) {
    return new VeniceError('INVALID_REQUEST', { message: 'Too many parts in the form' });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new VeniceError('INVALID_REQUEST', {
    message: `Malformed multipart/form-data body: ${reason}`,
    cause: error,
  });
}
