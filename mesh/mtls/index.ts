// Effective mTLS mode for a destination port, per mesh.
export { effectiveIstioMtls, effectivePeerAuthentication, selectDestinationRule } from './istio.js'
export type { IstioMtlsInput, PeerAuthentication, DestinationRule, PeerAuthenticationSpec, DestinationRuleSpec } from './istio.js'
export { effectiveLinkerdMtls, OPAQUE_PORTS_ANNOTATION, LINKERD_DEFAULT_OPAQUE_PORTS } from './linkerd.js'
export type { LinkerdMtlsInput } from './linkerd.js'
export { effectiveConsulMtls } from './consul.js'
export type { ConsulMtlsInput } from './consul.js'
export type { MtlsMode, MtlsResult, MtlsDecisionSource } from './types.js'
