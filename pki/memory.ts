// pki/ remembers what it took apart (anatomies by fingerprint, signature results by fingerprint
// pair), which pays off when the same certificates come back: a CLI run, the webhook's serving
// certificate, the intermediates of 10,000 chains. A watcher that reads each leaf once and keeps
// only facts releases them after each batch instead of holding thousands until the bound.
import { clearSharedAnatomies } from './anatomy.js'
import { clearSignatureMemo } from './crypto.js'

export function releaseCertificateMemory(): void {
  clearSharedAnatomies()
  clearSignatureMemo()
}
