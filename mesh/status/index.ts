// The public API of mesh/status: the streaming inventory behind `kubectl meshcert status`, its
// thresholds and its renderings.
export { StatusCollector, boundedEach, byExpiry } from './collector.js'
export type { StatusOptions } from './collector.js'
export { DEFAULT_THRESHOLDS, parseThreshold, formatThreshold, warnWindow, isCaRole } from './thresholds.js'
export { renderExposition, escapeLabelValue, escapeHelp, EXPOSITION_CONTENT_TYPE } from './exposition.js'
export { gatewayTlsRefs, hostsCoverageFinding, keyMatches } from './gateways.js'
export type { GatewayTlsRef } from './gateways.js'
export { certificateRecord, readyFinding, renewalFinding, specMatchFinding } from './certmanager.js'
export type { CertificateRecord } from './certmanager.js'
export { expiryFinding, chainFinding, rowLabel } from './evaluate.js'
export { CertificateCache, secretMaterialKind, configMapMaterialKind } from './material.js'
export type { KubeObject, MaterialKind } from './material.js'
export type { ExpiryThresholds, StatusItem, StatusKind, StatusReport, StatusRole, StatusSummary } from './types.js'
