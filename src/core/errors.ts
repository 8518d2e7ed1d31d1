// Errors the core raises on purpose. Each carries the HTTP status the API
// answers with, so the server maps them without knowing their causes.

export interface FieldIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class CoreError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends CoreError {
  constructor(message: string) {
    super(404, message);
  }
}

export class ConflictError extends CoreError {
  constructor(message: string) {
    super(409, message);
  }
}

/** A request that is well-formed but names things that cannot be used. */
export class ValidationError extends CoreError {
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(422, message);
  }
}
