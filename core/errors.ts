// One error base for everything a user can cause. A MeshcertError carries a stable code (tests
// assert it), a message that names the input, and a hint that says how to fix it. The CLI maps
// `exitCode` to its exit status and prints message + hint, never a stack trace.

export type MeshcertErrorCode =
  | 'ERR_MESHCERT_GENERIC'
  | 'ERR_MESHCERT_USAGE'
  | 'ERR_MESHCERT_INPUT'
  | 'ERR_MESHCERT_NOT_A_CERTIFICATE'
  | 'ERR_MESHCERT_PRIVATE_KEY'
  | 'ERR_MESHCERT_CSR'
  | 'ERR_MESHCERT_EMPTY_INPUT'
  | 'ERR_MESHCERT_DURATION'
  | 'ERR_MESHCERT_SPIFFE_ID'
  | 'ERR_MESHCERT_TIME'
  | 'ERR_MESHCERT_BUNDLE'
  | 'ERR_MESHCERT_CONFIG_DUMP'
  | 'ERR_MESHCERT_POLICY'
  | 'ERR_MESHCERT_MANIFEST'
  | 'ERR_MESHCERT_ADMISSION_REVIEW'
  | 'ERR_MESHCERT_CLUSTER_UNREACHABLE'
  | 'ERR_MESHCERT_UNAUTHORIZED'
  | 'ERR_MESHCERT_FORBIDDEN'
  | 'ERR_MESHCERT_NOT_FOUND'
  | 'ERR_MESHCERT_GONE'
  | 'ERR_MESHCERT_CONFLICT'
  | 'ERR_MESHCERT_NO_PROXY'
  | 'ERR_MESHCERT_PROXY_UNREACHABLE'

/** Exit status of the CLI for this error: 2 bad usage or input, 3 cluster access failed. */
export type ErrorExitCode = 2 | 3

export class MeshcertError extends Error {
  readonly code: MeshcertErrorCode
  /** How to fix it: a command to run or a field to change. */
  readonly hint?: string
  readonly exitCode: ErrorExitCode

  constructor(
    code: MeshcertErrorCode,
    message: string,
    hint?: string,
    options?: { cause?: unknown; exitCode?: ErrorExitCode },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MeshcertError'
    this.code = code
    if (hint !== undefined) this.hint = hint
    this.exitCode = options?.exitCode ?? 2
  }

  /** Message and fix as one or two lines, the way the CLI and the webhook show it. */
  describe(): string {
    return this.hint ? `${this.message}\nFix: ${this.hint}` : this.message
  }
}

/** A failure to reach or use the cluster (exit 3). */
export class ClusterAccessError extends MeshcertError {
  constructor(code: MeshcertErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(code, message, hint, { ...options, exitCode: 3 })
    this.name = 'ClusterAccessError'
  }
}

export function isMeshcertError(err: unknown): err is MeshcertError {
  return err instanceof MeshcertError
}
