// The one error model. Every error raised on purpose carries a `kind` that
// says what went wrong in the caller's terms; callers decide by kind, and
// only the HTTP layer (src/server/httpStatus.ts) turns kinds into status
// codes. A plain Error reaching the top is a bug.

export type ErrorKind =
  /** The thing named does not exist (a session, a chat, an endpoint, a route). */
  | 'not-found'
  /** A value fails validation; `issues` names the fields. */
  | 'invalid'
  /** The request is not well-formed at all (not JSON, empty body). */
  | 'bad-request'
  /** It would overwrite or collide with something that exists, or something is already running. */
  | 'conflict'
  /** Known, but this build cannot do it (a connector type, a Jinja construct). */
  | 'unsupported'
  /** The storage folder is read-only, full or missing. */
  | 'storage'
  /** Too large to accept (a body, a prepared prompt). */
  | 'too-large'
  /** Took longer than allowed (a request body, a lock). */
  | 'timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'method-not-allowed'
  /** The command line is wrong (headless only). */
  | 'usage';

export interface FieldIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface CoreErrorOptions {
  issues?: FieldIssue[];
  /** Headers the HTTP layer adds to the answer (Allow, WWW-Authenticate). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class CoreError extends Error {
  readonly issues: FieldIssue[];
  readonly headers: Record<string, string>;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: CoreErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CoreError';
    this.issues = options.issues ?? [];
    this.headers = options.headers ?? {};
  }
}

/** Whether `err` is a CoreError of one of `kinds` (any kind when none is given). */
export function isCoreError(err: unknown, ...kinds: ErrorKind[]): err is CoreError {
  return err instanceof CoreError && (kinds.length === 0 || kinds.includes(err.kind));
}

export class NotFoundError extends CoreError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export class ConflictError extends CoreError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A request that is well-formed but names things that cannot be used. */
export class ValidationError extends CoreError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('invalid', message, { issues });
  }
}

/** One issue naming one field: the common case of a ValidationError. */
export function invalidField(loc: (string | number)[], msg: string): ValidationError {
  return new ValidationError(msg, [{ loc, msg, type: 'value_error' }]);
}

const STORAGE_CODES: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'the folder is missing',
  ENOTDIR: 'a path in it is not a folder',
  EISDIR: 'a folder is where a file should be',
  EIO: 'input/output error',
};

/** The temporary files of atomic writes: `<file>.<pid>.<hex>.tmp`. */
const TEMP_FILE = /\.\d+\.[0-9a-f]+\.tmp$/;

function errnoOf(err: unknown): NodeJS.ErrnoException | undefined {
  return typeof err === 'object' && err !== null && typeof (err as NodeJS.ErrnoException).code === 'string'
    ? (err as NodeJS.ErrnoException)
    : undefined;
}

/**
 * A failed write to the storage folder as the caller should see it: a
 * `storage` error naming the cause and path when the file system refused
 * (read-only, full, missing, no permission), else the error unchanged.
 */
export function asStorageError(err: unknown, path: string): unknown {
  if (err instanceof CoreError) return err;
  const errno = errnoOf(err);
  const cause = errno?.code ? STORAGE_CODES[errno.code] : undefined;
  if (!cause) return err;
  // The error's own path is the most precise, unless it is a temporary file the caller never named.
  const where = errno?.path && !TEMP_FILE.test(errno.path) ? errno.path : path;
  return new CoreError('storage', `Storage is not writable: ${cause} (${where})`, { cause: err });
}

/** Runs a write and reports a file-system refusal as a `storage` error. */
export async function writingTo<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw asStorageError(err, path);
  }
}
