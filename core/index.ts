// What every layer shares and nothing more: the error base, the finding type, time, and the JSON
// line logger of the long-running faces (core/log.ts, imported directly, not from here).
export { MeshcertError, ClusterAccessError, isMeshcertError } from './errors.js'
export type { MeshcertErrorCode, ErrorExitCode } from './errors.js'
export { finding, worstStatus } from './finding.js'
export type { Finding, FindingStatus } from './finding.js'
export { rfc3339 } from './time.js'
