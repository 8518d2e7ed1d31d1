// The one place where the core's error kinds become HTTP status codes.
import type { ErrorKind } from '../core/errors';

export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  timeout: 408,
  conflict: 409,
  'too-large': 413,
  invalid: 422,
  unsupported: 422,
  storage: 503,
  // A usage error never reaches the API; if one did, the request was wrong.
  usage: 400,
};
