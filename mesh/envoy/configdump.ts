// Reads the certificates a proxy actually holds out of its config dump (pure: text in, data out).
//
// Accepted inputs:
//   - Envoy admin `/config_dump` (Istio sidecar, Consul dataplane): a `configs` list whose
//     SecretsConfigDump has `dynamic_active_secrets`, `dynamic_warming_secrets`, `static_secrets`;
//     Consul puts its Connect leaf and CA inline in cluster and listener TLS contexts instead, so the
//     ClustersConfigDump and ListenersConfigDump `common_tls_context`s are read too;
//   - `istioctl proxy-config secret POD -o json`: a SecretsConfigDump by itself, in protojson's
//     camelCase (`dynamicActiveSecrets`, `tlsCertificate.certificateChain.inlineBytes`);
//   - the ztunnel (ambient) dump: `certificates[]` with `identity`, `state`, `certChain[].pem`.
// Field names are accepted in both snake_case (Envoy admin) and camelCase (protojson) spellings.
// Secrets that carry certificates are returned as data sources; decoding them is pki's job.
import { MeshcertError } from '../../core/errors.js'

/** Where certificate bytes come from (Envoy's config.core.v3.DataSource). */
export type DataSource =
  /** Certificate data inside the dump: `inline_bytes` decoded from base64 (PEM or DER), or `inline_string`/`pem` text. */
  | { kind: 'inline'; data: Uint8Array | string; field: string }
  /** Data the proxy reads from its own filesystem; not in the dump. */
  | { kind: 'file'; filename: string; field: string }
  | { kind: 'env'; variable: string; field: string }

/** ACTIVE/WARMING/STATIC for Envoy secrets; ztunnel reports its own states (`Available`, `Initializing`, …). */
export type SecretState = string

export interface TrustDomainBundle {
  /** SPIFFE trust domain name, e.g. `example.org`. */
  name: string
  trustBundle: DataSource
}

/** One secret (or inline TLS context) of a proxy, as the dump shows it. */
export interface ProxySecret {
  /** The RESOURCE NAME istioctl shows: `default`, `ROOTCA`, a cluster or listener name, a SPIFFE ID. */
  name: string
  /** `sds` secret, inline TLS context of a `cluster` or `listener`, or a `ztunnel` certificate. */
  source: 'sds' | 'cluster' | 'listener' | 'ztunnel'
  state: SecretState
  /** Full ztunnel state text (e.g. `Unavailable: signing gRPC error …`) when it is longer than `state`. */
  detail?: string
  versionInfo?: string
  lastUpdated?: string
  /** tls_certificate.certificate_chain: the workload's own chain, leaf first. */
  certificateChain?: DataSource
  /** validation_context.trusted_ca: the roots it trusts. */
  trustedCa?: DataSource
  /** SPIRE-style SPIFFECertValidatorConfig: one bundle per trust domain. */
  trustDomains?: TrustDomainBundle[]
  /** The dump has a private key here (its value is never read or kept). */
  hasPrivateKey: boolean
}

export interface ConfigDump {
  /** `envoy` for /config_dump and istioctl secret output, `ztunnel` for an ambient ztunnel dump. */
  format: 'envoy' | 'ztunnel'
  secrets: ProxySecret[]
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
}

/** A field in either spelling: `dynamic_active_secrets` or `dynamicActiveSecrets`. */
function field(obj: Json | undefined, snake: string): unknown {
  if (!obj) return undefined
  return obj[snake] ?? obj[camel(snake)]
}

function objectField(obj: Json | undefined, snake: string): Json | undefined {
  const value = field(obj, snake)
  return isObject(value) ? value : undefined
}

function listField(obj: Json | undefined, snake: string): unknown[] {
  const value = field(obj, snake)
  return Array.isArray(value) ? value : []
}

function stringField(obj: Json | undefined, snake: string): string | undefined {
  const value = field(obj, snake)
  return typeof value === 'string' ? value : undefined
}

// protojson writes `bytes` as standard base64 and accepts the URL-safe alphabet too.
const BASE64 = /^[A-Za-z0-9+/\-_\s]*={0,2}\s*$/

function decodeBase64(text: string, where: string, origin: string): Uint8Array {
  if (!BASE64.test(text)) {
    throw new MeshcertError(
      'ERR_MESHCERT_CONFIG_DUMP',
      `${origin}: ${where}.inline_bytes is not base64`,
      'pass the dump exactly as Envoy or istioctl printed it (inline_bytes is base64 of the PEM or DER certificate)',
    )
  }
  return new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'))
}

/** Envoy DataSource → our DataSource; undefined when the object holds no data. */
function dataSource(obj: Json | undefined, where: string, origin: string): DataSource | undefined {
  if (!obj) return undefined
  const bytes = stringField(obj, 'inline_bytes')
  if (bytes !== undefined) return { kind: 'inline', data: decodeBase64(bytes, where, origin), field: `${where}.inline_bytes` }
  const text = stringField(obj, 'inline_string')
  if (text !== undefined) return { kind: 'inline', data: text, field: `${where}.inline_string` }
  const filename = stringField(obj, 'filename')
  if (filename !== undefined) return { kind: 'file', filename, field: `${where}.filename` }
  const variable = stringField(obj, 'environment_variable')
  if (variable !== undefined) return { kind: 'env', variable, field: `${where}.environment_variable` }
  return undefined
}

interface TlsMaterial {
  certificateChain?: DataSource
  trustedCa?: DataSource
  trustDomains?: TrustDomainBundle[]
  hasPrivateKey: boolean
}

/** SPIFFECertValidatorConfig (`envoy.tls.cert_validator.spiffe`) inside a validation context. */
function spiffeTrustDomains(validation: Json | undefined, where: string, origin: string): TrustDomainBundle[] | undefined {
  const custom = objectField(validation, 'custom_validator_config')
  if (!custom) return undefined
  const config = objectField(custom, 'typed_config')
  const domains = listField(config, 'trust_domains')
  const bundles: TrustDomainBundle[] = []
  domains.forEach((entry, i) => {
    if (!isObject(entry)) return
    const name = stringField(entry, 'name') ?? ''
    const source = dataSource(objectField(entry, 'trust_bundle'), `${where}.custom_validator_config.typed_config.trust_domains[${i}].trust_bundle`, origin)
    if (source) bundles.push({ name, trustBundle: source })
  })
  return bundles
}

function validationMaterial(validation: Json | undefined, where: string, origin: string): Pick<TlsMaterial, 'trustedCa' | 'trustDomains'> {
  const material: Pick<TlsMaterial, 'trustedCa' | 'trustDomains'> = {}
  const trustedCa = dataSource(objectField(validation, 'trusted_ca'), `${where}.trusted_ca`, origin)
  if (trustedCa) material.trustedCa = trustedCa
  const domains = spiffeTrustDomains(validation, where, origin)
  if (domains) material.trustDomains = domains
  return material
}

/** The certificate parts of an Envoy `Secret` (tls_certificate / validation_context). */
function secretMaterial(secret: Json | undefined, origin: string): TlsMaterial {
  const tls = objectField(secret, 'tls_certificate')
  const material: TlsMaterial = {
    hasPrivateKey: objectField(tls, 'private_key') !== undefined,
    ...validationMaterial(objectField(secret, 'validation_context'), 'validation_context', origin),
  }
  const chain = dataSource(objectField(tls, 'certificate_chain'), 'tls_certificate.certificate_chain', origin)
  if (chain) material.certificateChain = chain
  return material
}

const SECRET_LISTS: Array<[string, SecretState]> = [
  ['dynamic_active_secrets', 'ACTIVE'],
  ['dynamic_warming_secrets', 'WARMING'],
  ['static_secrets', 'STATIC'],
]

function isSecretsDump(obj: Json): boolean {
  return SECRET_LISTS.some(([list]) => field(obj, list) !== undefined) || String(obj['@type'] ?? '').endsWith('SecretsConfigDump')
}

function secretsFrom(dump: Json, origin: string): ProxySecret[] {
  const secrets: ProxySecret[] = []
  for (const [list, state] of SECRET_LISTS) {
    for (const entry of listField(dump, list)) {
      if (!isObject(entry)) continue
      const secret = objectField(entry, 'secret')
      const name = stringField(entry, 'name') ?? stringField(secret, 'name') ?? ''
      const out: ProxySecret = { name, source: 'sds', state, ...secretMaterial(secret, `${origin} secret ${JSON.stringify(name)}`) }
      const versionInfo = stringField(entry, 'version_info')
      if (versionInfo !== undefined) out.versionInfo = versionInfo
      const lastUpdated = stringField(entry, 'last_updated')
      if (lastUpdated !== undefined) out.lastUpdated = lastUpdated
      secrets.push(out)
    }
  }
  return secrets
}

/** Inline material of one `common_tls_context` (Consul writes leaf and CA straight into it). */
function tlsContextMaterial(transportSocket: Json | undefined, origin: string): TlsMaterial | undefined {
  const context = objectField(objectField(transportSocket, 'typed_config'), 'common_tls_context')
  if (!context) return undefined
  const material: TlsMaterial = { hasPrivateKey: false }
  const first = listField(context, 'tls_certificates').find(isObject)
  if (first) {
    material.hasPrivateKey = objectField(first, 'private_key') !== undefined
    const chain = dataSource(objectField(first, 'certificate_chain'), 'common_tls_context.tls_certificates[0].certificate_chain', origin)
    if (chain) material.certificateChain = chain
  }
  const validation =
    objectField(context, 'validation_context') ?? objectField(objectField(context, 'combined_validation_context'), 'default_validation_context')
  Object.assign(material, validationMaterial(validation, 'common_tls_context.validation_context', origin))
  const hasData = material.certificateChain?.kind === 'inline' || material.trustedCa?.kind === 'inline' || (material.trustDomains?.length ?? 0) > 0
  return hasData ? material : undefined
}

function inlineContext(source: 'cluster' | 'listener', name: string, state: SecretState, entry: Json, transportSocket: Json | undefined, origin: string): ProxySecret | undefined {
  const material = tlsContextMaterial(transportSocket, `${origin} ${source} ${JSON.stringify(name)}`)
  if (!material) return undefined
  const out: ProxySecret = { name, source, state, ...material }
  const versionInfo = stringField(entry, 'version_info')
  if (versionInfo !== undefined) out.versionInfo = versionInfo
  const lastUpdated = stringField(entry, 'last_updated')
  if (lastUpdated !== undefined) out.lastUpdated = lastUpdated
  return out
}

function clusterContexts(dump: Json, origin: string): ProxySecret[] {
  const out: ProxySecret[] = []
  const lists: Array<[string, SecretState]> = [
    ['static_clusters', 'STATIC'],
    ['dynamic_active_clusters', 'ACTIVE'],
    ['dynamic_warming_clusters', 'WARMING'],
  ]
  for (const [list, state] of lists) {
    for (const entry of listField(dump, list)) {
      if (!isObject(entry)) continue
      const cluster = objectField(entry, 'cluster')
      const name = stringField(cluster, 'name') ?? ''
      const secret = inlineContext('cluster', name, state, entry, objectField(cluster, 'transport_socket'), origin)
      if (secret) out.push(secret)
    }
  }
  return out
}

function listenerContexts(dump: Json, origin: string): ProxySecret[] {
  const out: ProxySecret[] = []
  const listeners: Array<[Json, Json | undefined, SecretState]> = []
  for (const entry of listField(dump, 'static_listeners')) if (isObject(entry)) listeners.push([entry, objectField(entry, 'listener'), 'STATIC'])
  for (const entry of listField(dump, 'dynamic_listeners')) {
    if (!isObject(entry)) continue
    for (const [key, state] of [['active_state', 'ACTIVE'], ['warming_state', 'WARMING']] as const) {
      const listenerState = objectField(entry, key)
      if (listenerState) listeners.push([{ ...entry, ...listenerState }, objectField(listenerState, 'listener'), state])
    }
  }
  for (const [entry, listener, state] of listeners) {
    const listenerName = stringField(listener, 'name') ?? stringField(entry, 'name') ?? ''
    listField(listener, 'filter_chains').forEach((chain, i) => {
      if (!isObject(chain)) return
      const name = stringField(chain, 'name') ? `${listenerName}/${stringField(chain, 'name')}` : listField(listener, 'filter_chains').length > 1 ? `${listenerName}#${i}` : listenerName
      const secret = inlineContext('listener', name, state, entry, objectField(chain, 'transport_socket'), origin)
      if (secret) out.push(secret)
    })
  }
  return out
}

/** ztunnel's `certificates[]`: certChain is leaf first, the last entry the root (istioctl labels it `Root`). */
function ztunnelCertificates(dump: Json): ProxySecret[] {
  return listField(dump, 'certificates').filter(isObject).map((entry, index) => {
    const identity = stringField(entry, 'identity') ?? `certificates[${index}]`
    const fullState = stringField(entry, 'state') ?? ''
    const pems = listField(entry, 'cert_chain')
      .filter(isObject)
      .map((c) => stringField(c, 'pem'))
      .filter((p): p is string => p !== undefined)
    const out: ProxySecret = { name: identity, source: 'ztunnel', state: fullState.split(':')[0]!.trim(), hasPrivateKey: false }
    if (fullState.includes(':')) out.detail = fullState
    if (pems.length > 0) {
      const chain = pems.length > 1 ? pems.slice(0, -1) : pems
      out.certificateChain = { kind: 'inline', data: chain.join(''), field: `certificates[${index}].certChain[0..${chain.length - 1}].pem` }
      if (pems.length > 1) out.trustedCa = { kind: 'inline', data: pems[pems.length - 1]!, field: `certificates[${index}].certChain[${pems.length - 1}].pem` }
    }
    return out
  })
}

function notADump(origin: string, what: string): MeshcertError {
  return new MeshcertError(
    'ERR_MESHCERT_CONFIG_DUMP',
    `${origin} ${what}`,
    'save it with `istioctl proxy-config secret POD -n NS -o json > dump.json`, or `kubectl exec POD -c istio-proxy -- curl -s localhost:15000/config_dump?include_eds > dump.json` (Consul: port 19000)',
  )
}

/**
 * Parse a config dump (JSON text or an already-parsed object) into the proxy's secrets.
 * `origin` names the input in error messages (e.g. the file name).
 */
export function parseConfigDump(input: string | unknown, origin: string): ConfigDump {
  let dump: unknown = input
  if (typeof input === 'string') {
    if (input.trim() === '') throw notADump(origin, 'is empty, not an Envoy config dump')
    try {
      dump = JSON.parse(input)
    } catch (err) {
      // The parser quotes the input around the error; keep the message on one line.
      const why = /^\s*(\{|\[)/.test(input) ? (err as Error).message.replace(/\s+/g, ' ') : input.includes('\u0000') ? 'binary data' : 'YAML or text'
      throw notADump(origin, `is not JSON (${why}); a config dump is the JSON Envoy's admin /config_dump or istioctl -o json prints`)
    }
  }
  if (!isObject(dump)) throw notADump(origin, 'is not a JSON object, so not an Envoy config dump')

  if (Array.isArray(dump.certificates) && !isSecretsDump(dump)) {
    const secrets = ztunnelCertificates(dump)
    if (secrets.length === 0) throw notADump(origin, 'is a ztunnel dump without certificates')
    return { format: 'ztunnel', secrets }
  }

  // The dump's sections: a `configs` list (admin /config_dump), a `configs` map (older Envoy), or
  // a bare SecretsConfigDump (istioctl proxy-config secret -o json).
  const configs = field(dump, 'configs')
  const sections: Json[] = Array.isArray(configs) ? configs.filter(isObject) : isObject(configs) ? Object.values(configs).filter(isObject) : [dump]
  const secrets: ProxySecret[] = []
  for (const section of sections) {
    const type = String(section['@type'] ?? '')
    if (isSecretsDump(section)) secrets.push(...secretsFrom(section, origin))
    else if (type.endsWith('ClustersConfigDump')) secrets.push(...clusterContexts(section, origin))
    else if (type.endsWith('ListenersConfigDump')) secrets.push(...listenerContexts(section, origin))
  }
  const hasCertificates = secrets.some((s) => s.certificateChain || s.trustedCa || s.trustDomains?.length)
  if (!hasCertificates) {
    throw notADump(
      origin,
      sections.length > 0 && configs !== undefined
        ? 'has no secrets with certificates (no SecretsConfigDump dynamic_active_secrets, and no inline TLS certificates in clusters or listeners)'
        : 'is not an Envoy config dump: no `configs`, no `dynamic_active_secrets`, no ztunnel `certificates`',
    )
  }
  return { format: 'envoy', secrets }
}
