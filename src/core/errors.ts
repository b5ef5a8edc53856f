/**
 * Typed errors. Every error the SDK throws is a MicroreconError with a stable string `code`; callers switch on
 * the code (or use instanceof), never on the message.
 */
export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_FORMAT'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_NOT_SUPPORTED'
  | 'ERR_DISPOSED'
  | 'ERR_ABORTED'
  | 'ERR_NATIVE';

export class MicroreconError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A value passed in is wrong: rank, shape, channel count, NaN/Inf, size, option name or type. */
export class InvalidArgumentError extends MicroreconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** The requested backend (or any backend, for 'auto') cannot run here; `reasons` says why for each one. */
export class BackendUnavailableError extends MicroreconError {
  readonly reasons: Record<string, string>;
  constructor(message: string, reasons: Record<string, string> = {}) {
    super('ERR_BACKEND_UNAVAILABLE', message);
    this.reasons = reasons;
  }
}

/** A file or byte stream is corrupt, truncated or in an unsupported format. */
export class FormatError extends MicroreconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_FORMAT', message, options);
  }
}

/** A size would not fit in memory (or in the addressable range of a backend). */
export class OutOfMemoryError extends MicroreconError {
  constructor(message: string) {
    super('ERR_OUT_OF_MEMORY', message);
  }
}

/** A backend does not implement an operation (callers may fall back to another backend). */
export class NotSupportedError extends MicroreconError {
  constructor(message: string) {
    super('ERR_NOT_SUPPORTED', message);
  }
}

/** A tensor was used after dispose(). */
export class DisposedError extends MicroreconError {
  constructor(message: string) {
    super('ERR_DISPOSED', message);
  }
}

/** Work stopped because its AbortSignal fired. */
export class AbortError extends MicroreconError {
  constructor(message = 'the operation was aborted') {
    super('ERR_ABORTED', message);
  }
}

/** A native kernel failed in a way TypeScript validation did not foresee (a bug: please report it). */
export class NativeError extends MicroreconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NATIVE', message, options);
  }
}

const byCode: Record<string, (msg: string) => MicroreconError> = {
  ERR_INVALID_ARGUMENT: (m) => new InvalidArgumentError(m),
  ERR_OUT_OF_MEMORY: (m) => new OutOfMemoryError(m),
  ERR_NOT_SUPPORTED: (m) => new NotSupportedError(m),
  ERR_ABORTED: (m) => new AbortError(m),
};

/** Turns an error coming out of a backend (native addon, wasm, webgpu) into a typed MicroreconError. */
export function fromBackendError(err: unknown, context: string): MicroreconError {
  if (err instanceof MicroreconError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const msg = `${context}: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  const make = typeof e?.code === 'string' ? byCode[e.code] : undefined;
  if (make) return make(msg);
  if (err instanceof RangeError) return new OutOfMemoryError(msg);
  return new NativeError(msg, { cause: err });
}
