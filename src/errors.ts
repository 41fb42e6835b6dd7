// Owns PathHelm's coded errors: one error class, stable PH_ERR_* codes, HTTP status and exit code.
//
// Example:
//   throw new PathHelmError('PH_ERR_CONFIG', 'rateLimit.ip[0].windowMs must be > 0 ms, got -5');

export const ERROR_CODES = {
  PH_ERR_CONFIG: { exitCode: 2, status: 500, summary: 'invalid configuration (the message names the key and the fix)' },
  PH_ERR_USAGE: { exitCode: 2, status: 400, summary: 'bad command-line usage' },
  PH_ERR_PORT_IN_USE: { exitCode: 3, status: 500, summary: 'the port to listen on is already in use' },
  PH_ERR_LISTEN: { exitCode: 3, status: 500, summary: 'could not listen on the address' },
  PH_ERR_DB: { exitCode: 4, status: 500, summary: 'the SQLite file cannot be opened or migrated' },
  PH_ERR_MODEL: { exitCode: 5, status: 500, summary: 'a model file is missing, corrupt or does not match the features' },
  PH_ERR_CSV: { exitCode: 6, status: 400, summary: 'a CSV file is malformed (the message names the line and column)' },
  PH_ERR_KEY_NOT_FOUND: { exitCode: 7, status: 404, summary: 'no API key with that id' },
  PH_ERR_NOT_FOUND: { exitCode: 7, status: 404, summary: 'the requested record does not exist' },
  PH_ERR_UPSTREAM_UNAVAILABLE: { exitCode: 1, status: 502, summary: 'the backend refused the connection or failed' },
  PH_ERR_UPSTREAM_TIMEOUT: { exitCode: 1, status: 504, summary: 'the backend did not answer within the timeout' },
  PH_ERR_BODY_TOO_LARGE: { exitCode: 1, status: 413, summary: 'the request body exceeds limits.maxBodyBytes' },
  PH_ERR_BAD_REQUEST: { exitCode: 1, status: 400, summary: 'the request is malformed' },
  PH_ERR_INTERNAL: { exitCode: 1, status: 500, summary: 'an unexpected internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PathHelmError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PathHelmError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.exitCode = ERROR_CODES[code].exitCode;
  }
}

export function isPathHelmError(err: unknown): err is PathHelmError {
  return err instanceof PathHelmError;
}
