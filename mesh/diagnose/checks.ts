// The diagnosis check catalogue: each check has a stable id (the docs/checks.md anchor, the `check` of its
// findings) and is described by its passing condition, in the order `diagnose` runs them — from
// "is there a proxy at all" to "what did the proxies actually see".

export interface CheckDefinition {
  id: string
  /** The passing condition, as a sentence: what is true when the check passes. */
  title: string
  /** What a failure usually means, for the troubleshooting guide. */
  failureMeans: string
  /** Evidence only (the proxies' counters): it never decides the verdict, so skipping it is no gap. */
  evidence?: true
}

export const CHECKS: readonly CheckDefinition[] = [
  { id: 'proxy.present', title: 'both workloads run a mesh proxy (istio-proxy, linkerd-proxy or consul-dataplane)', failureMeans: 'one side is not injected, so traffic leaves or arrives in plaintext and no policy applies' },
  { id: 'proxy.same-mesh', title: 'both workloads are in the same mesh', failureMeans: 'an Istio workload cannot complete mTLS with a Linkerd or Consul one' },
  { id: 'certificate.present', title: 'both proxies hold a workload certificate and it is ACTIVE', failureMeans: 'the proxy never got a certificate from its CA (istiod, istio-csr, linkerd-identity, Consul CA) or it is still WARMING' },
  { id: 'certificate.validity', title: 'neither workload certificate is expired, not yet valid or inside its expiry warning window at the time of the check', failureMeans: 'rotation stopped or clocks are skewed' },
  { id: 'certificate.rotation', title: 'both workload certificates were renewed on schedule', failureMeans: 'a certificate past its renewal point was not replaced; it will expire' },
  { id: 'chain.src-verifies-at-dst', title: "SRC's certificate chain verifies against DST's trust bundle", failureMeans: 'DST will reject SRC as a client: a root or intermediate SRC chains to is missing from DST\'s bundle' },
  { id: 'chain.dst-verifies-at-src', title: "DST's certificate chain verifies against SRC's trust bundle", failureMeans: 'SRC will reject DST as a server: a root or intermediate DST chains to is missing from SRC\'s bundle' },
  { id: 'bundle.overlap', title: 'the two trust bundles share at least one root', failureMeans: 'the sides trust disjoint roots; a root rotation was not propagated' },
  { id: 'identity.well-formed', title: 'both identities are well-formed SPIFFE IDs in the expected trust domain', failureMeans: 'the certificate was issued with the wrong trust domain or without a SPIFFE URI SAN' },
  { id: 'identity.matches-workload', title: "each identity names its pod's namespace and service account", failureMeans: 'the proxy presents someone else\'s identity; authorization will be decided for the wrong principal' },
  { id: 'mtls.mode', title: "SRC reaches DST's port over mesh mTLS, and the port accepts nothing else (PeerAuthentication/DestinationRule, Linkerd and Consul ports and modes)", failureMeans: 'one side sends plaintext or non-mesh TLS where the other expects mesh mTLS, so the connection fails; a warning means it works without a peer identity or also admits plaintext' },
  { id: 'authz.allows', title: "DST's authorization policy allows SRC's request", failureMeans: 'the handshake works but a policy denies the request (HTTP 403 / RBAC: access denied / connection reset)' },
  { id: 'proxy.tls-stats', title: "the proxies' TLS counters show no handshake failures between SRC and DST", failureMeans: 'the evidence: what Envoy or the Linkerd proxy actually rejected', evidence: true },
  { id: 'proxy.authz-stats', title: "DST's proxy has not denied requests or connections by policy", failureMeans: 'the evidence: requests the proxy refused by authorization', evidence: true },
] as const

export const CHECK_IDS = CHECKS.map((c) => c.id)

export function checkDefinition(id: string): CheckDefinition | undefined {
  return CHECKS.find((c) => c.id === id)
}

/** Position of a check in the catalogue; unknown checks sort after all known ones. */
export function checkOrder(id: string): number {
  const i = CHECK_IDS.indexOf(id)
  return i < 0 ? CHECK_IDS.length : i
}
