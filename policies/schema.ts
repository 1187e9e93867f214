// The MeshCertPolicy JSON Schema. One object serves twice: ajv validates policies with it, and it is
// the CRD's openAPIV3Schema verbatim (manifests/crd-meshcertpolicy.yaml; a test keeps them equal).
// It therefore stays inside the Kubernetes structural-schema subset: every node typed, no $ref, no
// oneOf/anyOf, no additionalProperties beside properties. Unknown fields are refused by
// validatePolicy's own walk (as kube-apiserver's strict field validation does), not by the schema.
// Checks a schema cannot express (minDuration <= maxDuration, SPIFFE trust-domain syntax) live in
// validate.ts.

// Go's time.ParseDuration grammar (see pki/duration.ts), as an ECMA-262 pattern.
export const GO_DURATION_PATTERN = '^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$'

const glob = { type: 'string', minLength: 1, maxLength: 253 } as const
const globList = (description: string) => ({ type: 'array', maxItems: 256, description, items: glob })
const duration = (description: string) => ({ type: 'string', maxLength: 64, pattern: GO_DURATION_PATTERN, description })

export const policySchema = {
  type: 'object',
  description: 'MeshCertPolicy: what the meshcert admission webhook (and `kubectl meshcert lint`) enforces on mesh certificates and mTLS settings.',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { type: 'string', enum: ['meshcert.io/v1alpha1'] },
    kind: { type: 'string', enum: ['MeshCertPolicy'] },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        enforcement: {
          type: 'string',
          enum: ['Deny', 'Warn', 'Audit'],
          description: 'Deny (default): reject violations. Warn: admit with warnings. Audit: admit, log only.',
        },
        onUnjudgeable: {
          type: 'string',
          enum: ['Deny', 'Allow'],
          description: 'How an object a rule cannot judge (malformed field, undecodable CSR) is decided. Default Deny.',
        },
        namespaces: {
          type: 'object',
          description: "Where the policy applies. Default: every namespace; the webhook's own namespace is always excluded.",
          properties: {
            include: globList('Namespace globs the policy applies to; empty = all.'),
            exclude: globList('Namespace globs the policy never applies to.'),
          },
        },
        trustDomains: {
          type: 'array',
          maxItems: 64,
          description: 'Trust domains workload identities may use. Default [cluster.local].',
          items: { type: 'string', minLength: 1, maxLength: 255 },
        },
        certificates: {
          type: 'object',
          description: 'Rules for cert-manager Certificates and CertificateRequests.',
          properties: {
            minDuration: duration('Shortest allowed spec.duration (Go duration, e.g. 1h).'),
            maxDuration: duration("Longest allowed spec.duration (Go duration, e.g. 2160h). cert-manager's default 2160h applies when unset."),
            maxCADuration: duration('Longest allowed spec.duration for CA certificates (isCA); maxDuration applies to them when unset.'),
            issuers: {
              type: 'array',
              maxItems: 256,
              description: 'Allowed issuerRefs; each field a glob, absent = any. Empty list = any issuer.',
              items: {
                type: 'object',
                properties: {
                  group: { type: 'string', maxLength: 253 },
                  kind: { type: 'string', maxLength: 253 },
                  name: { type: 'string', maxLength: 253 },
                },
              },
            },
            privateKey: {
              type: 'object',
              properties: {
                algorithms: {
                  type: 'array',
                  maxItems: 3,
                  items: { type: 'string', enum: ['RSA', 'ECDSA', 'Ed25519'] },
                },
                minRSASize: { type: 'integer', minimum: 1024, maximum: 16384 },
                minECDSASize: { type: 'integer', enum: [256, 384, 521] },
              },
            },
            requireRotationPolicyAlways: {
              type: 'boolean',
              description: 'Require spec.privateKey.rotationPolicy Always (a new key on every renewal).',
            },
            allowCA: { type: 'boolean', description: 'Allow requests for CA certificates (isCA) everywhere. Default false.' },
            caNamespaces: globList('Namespaces where CA certificates may be requested even when allowCA is false (where the mesh CA lives).'),
            uris: {
              type: 'object',
              properties: {
                requireTrustDomain: {
                  type: 'boolean',
                  description: 'SPIFFE URI SANs must be well-formed and in spec.trustDomains. Default true.',
                },
                requireSpiffe: { type: 'boolean', description: 'Every URI SAN must be a SPIFFE ID. Default false.' },
              },
            },
          },
        },
        issuers: {
          type: 'object',
          description: 'Rules for cert-manager Issuers and ClusterIssuers.',
          properties: {
            allowedTypes: {
              type: 'array',
              maxItems: 16,
              items: { type: 'string', enum: ['acme', 'ca', 'vault', 'selfSigned', 'venafi'] },
            },
            selfSignedNamespaces: globList('Namespaces where a selfSigned Issuer is allowed; a selfSigned ClusterIssuer is then refused.'),
          },
        },
        mtls: {
          type: 'object',
          description: 'mTLS modes for Istio, Linkerd and Consul objects, and sidecar injection.',
          properties: {
            mode: {
              type: 'string',
              enum: ['STRICT', 'PERMISSIVE'],
              description: 'STRICT: only STRICT (or UNSET, inheriting) everywhere. PERMISSIVE: anything but DISABLE.',
            },
            exemptPorts: {
              type: 'array',
              maxItems: 1024,
              items: { type: 'integer', minimum: 1, maximum: 65535 },
            },
          },
        },
        principals: {
          type: 'object',
          properties: {
            format: {
              type: 'string',
              enum: ['spiffe', 'any'],
              description: 'spiffe: principals and identities must be well-formed for their mesh.',
            },
            allowAll: { type: 'boolean', description: 'false forbids `*` as a principal/identity/source in ALLOW rules. Default true.' },
          },
        },
      },
    },
  },
} as const
