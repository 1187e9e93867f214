// @peculiar/x509 (and the ASN.1 schema packages under it), loaded on first use. Loading it costs
// more than decoding and verifying a chain (it registers a few hundred ASN.1 classes), and pki/
// works on the DER anatomy and node:crypto, so `kubectl meshcert chain -f` and other commands that
// only verify never load it. Loaded synchronously so pki/ stays synchronous: from node_modules, or
// in the CLI bundle from the CommonJS file scripts/bundle.js writes next to it (esbuild replaces
// MESHCERT_X509_BUNDLE with its path; elsewhere the name is not defined).
import { createRequire } from 'node:module'
import { webcrypto } from 'node:crypto'

type X509Module = typeof import('@peculiar/x509')

declare const MESHCERT_X509_BUNDLE: string | undefined

let loaded: X509Module | undefined

export function peculiarX509(): X509Module {
  if (!loaded) {
    loaded = createRequire(import.meta.url)(typeof MESHCERT_X509_BUNDLE === 'string' ? MESHCERT_X509_BUNDLE : '@peculiar/x509') as X509Module
    // For anyone using its asynchronous API (thumbprints, verify).
    loaded.cryptoProvider.set(webcrypto as unknown as Crypto)
  }
  return loaded
}
