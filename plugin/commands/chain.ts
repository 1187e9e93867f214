// `kubectl meshcert chain`: verify a certificate chain from files or from a proxy's config dump,
// at a given time, and show every certificate the way `istioctl proxy-config secret` does plus
// identity, issuer, key, lifetime used and rotation time. Reads the inputs, calls
// mesh/chain-report's `chainReport`, renders what it returns; `chain POD` reads it from a live cluster.
import { Flags } from '@oclif/core'
import type { ChainOptions, ChainReport, ChainReportInput, CertificateSource } from '../../mesh/chain-report.js'
import type { Purpose } from '../../pki/types.js'
import { MeshcertError } from '../../core/errors.js'
import { MeshcertCommand } from '../base.js'
import { parseFraction } from '../flags.js'
import { readInput } from '../input.js'
import { renderChainTable } from '../render/chain-table.js'
import { chainClusterFlags, chainTargetArg, clusterChainReport } from '../cluster/chain-target.js'

export default class Chain extends MeshcertCommand<typeof Chain, ChainReport> {
  static override summary = 'Verify a certificate chain from files or a proxy config dump, and show every certificate.'

  static override description = `Builds the path from the leaf to a trusted root and checks it the way RFC 5280 says (signatures, names, validity at --at, CA flags, path length, key usage, name constraints), then lists each certificate with the columns istioctl shows.

Without --trust-bundle the self-signed certificates in the input are used as roots, and the output says so.
With --config-dump the workload chain (secret "default", or a Consul TLS context) is verified against the dump's own roots ("ROOTCA", trusted_ca, SPIFFE trust domain bundles).
A leaf with a spiffe:// URI SAN must also be a valid X509-SVID (one URI SAN, not a CA, keyUsage digitalSignature, …). Where a certificate breaks the RFC 5280 profile (key identifiers, serial number, critical flags, …) a warning names the rule and the verifiers that refuse it; --strict makes each such MUST fail the chain. --purpose server|client checks the leaf's extended key usage as OpenSSL, rustls-webpki and Go do.
Every certificate is also judged as ca, status and bundle judge it: a warning within --warn (leaves; a third of a short lifetime) or --warn-ca (CA material) of its expiry; for a pod or a cert-manager Secret, whether its rotation or renewal is overdue; for a Secret, whether its key matches.

Exit status: 0 every chain verifies, 1 a chain does not verify, 2 bad usage or input.`

  static override usage = ['chain -f FILE [--trust-bundle FILE] [flags]', 'chain --config-dump FILE [flags]', 'chain POD | pod/NAME | deploy/NAME | secret/NAME [-n NS] [flags]']

  static override examples = [
    { description: 'Verify a workload chain against the mesh root:', command: '<%= config.bin %> <%= command.id %> -f cert-chain.pem --trust-bundle root-cert.pem' },
    { description: 'What does this proxy hold, and is it still valid next week?', command: 'istioctl proxy-config secret POD -o json | <%= config.bin %> <%= command.id %> --config-dump - --at 2026-06-08T00:00:00Z' },
    { description: 'JSON for scripts:', command: '<%= config.bin %> <%= command.id %> -f tls.crt -o json' },
    { description: 'Judge by the RFC 5280 profile, for a TLS server:', command: '<%= config.bin %> <%= command.id %> -f tls.crt --trust-bundle ca.crt --strict --purpose server' },
  ]

  static override flags = {
    file: Flags.string({
      char: 'f',
      summary: 'PEM or DER certificates (leaf first or any order); "-" reads stdin.',
      helpValue: 'FILE',
      exclusive: ['config-dump'],
    }),
    'trust-bundle': Flags.string({
      summary: "PEM file of the roots to trust (default: the self-signed certificates in the input; for a pod, the proxy's roots; for a Secret, its ca.crt or the namespace's mesh roots).",
      helpValue: 'FILE',
      exclusive: ['config-dump'],
    }),
    'config-dump': Flags.string({
      summary: 'Envoy /config_dump, `istioctl proxy-config secret -o json` or ztunnel dump; "-" reads stdin.',
      helpValue: 'FILE',
      exclusive: ['file', 'trust-bundle'],
    }),
    strict: Flags.boolean({
      summary: 'Fail the chain on every RFC 5280 profile MUST it breaks (default: a warning, unless no verifier accepts it).',
      default: false,
    }),
    purpose: Flags.string({
      summary: 'What the leaf must be good for, by its extended key usage: server, client or any.',
      options: ['any', 'server', 'client'] satisfies Purpose[],
      default: 'any',
    }),
    // No oclif default: `chain POD` takes its mesh's rotation point unless this is given.
    'rotate-at': Flags.string({ summary: 'Share of a certificate lifetime after which rotation is due, 0 < F < 1. [default: 0.5; for a pod, its mesh\'s: Istio 0.5, Linkerd 0.7, Consul 0.9]', helpValue: 'FRACTION' }),
    warn: Flags.string({ summary: 'Warn when a leaf certificate expires within this time (days or a Go duration; a third of the lifetime when shorter).', helpValue: 'DURATION', default: '30d' }),
    'warn-ca': Flags.string({ summary: 'Warn when CA material (roots, intermediates) expires within this time.', helpValue: 'DURATION', default: '60d' }),
    // Cluster flags for `chain POD`.
    ...chainClusterFlags,
  }

  // `chain POD | pod/NAME | deploy/NAME | secret/NAME`.
  static override args = { target: chainTargetArg }

  async run(): Promise<ChainReport> {
    const { file, 'trust-bundle': trustBundle, 'config-dump': configDump } = this.flags
    const { parseThreshold } = await import('../../mesh/judge.js')
    const options: ChainOptions = { strict: this.flags.strict, purpose: this.flags.purpose as Purpose, thresholds: { leafMs: parseThreshold(this.flags.warn, '--warn'), caMs: parseThreshold(this.flags['warn-ca'], '--warn-ca') } }
    const rotateAtGiven = this.flags['rotate-at'] === undefined ? undefined : parseFraction(this.flags['rotate-at'], '--rotate-at')
    // A positional target reads the chain from the cluster instead of files.
    if (this.args.target !== undefined) {
      if (file !== undefined || configDump !== undefined) {
        throw new MeshcertError('ERR_MESHCERT_USAGE', `give either a target (${this.args.target}) or -f/--config-dump, not both`, 'kubectl meshcert chain POD -n NS [--trust-bundle FILE], or kubectl meshcert chain -f cert-chain.pem')
      }
      const roots = trustBundle === undefined ? undefined : source(await readInput(trustBundle, '--trust-bundle'))
      return clusterChainReport(this.args.target, this.flags, this.at, { ...options, ...(rotateAtGiven !== undefined ? { rotateAt: rotateAtGiven } : {}), ...(roots ? { trustBundle: roots } : {}) })
    }
    if (file === undefined && configDump === undefined) {
      throw new MeshcertError(
        'ERR_MESHCERT_USAGE',
        'nothing to verify: give certificates with -f FILE or a proxy config dump with --config-dump FILE',
        'kubectl meshcert chain -f cert-chain.pem --trust-bundle root-cert.pem',
      )
    }
    if (file === '-' && trustBundle === '-') {
      throw new MeshcertError('ERR_MESHCERT_USAGE', 'stdin can be read once: -f - and --trust-bundle - cannot both read it', 'save one of them to a file')
    }
    const rotateAt = rotateAtGiven ?? 0.5
    // Heavy modules (X.509, crypto) load only now, so --help and other commands start fast.
    const [{ chainReport }, { parseConfigDump }] = await Promise.all([import('../../mesh/chain-report.js'), import('../../mesh/envoy/configdump.js')])

    let input: ChainReportInput
    if (configDump !== undefined) {
      const dump = await readInput(configDump, '--config-dump')
      const text = Buffer.from(dump.data).toString('utf8')
      input = { kind: 'config-dump', dump: parseConfigDump(text, dump.origin), origin: dump.origin }
    } else {
      const chain = await readInput(file!, '-f')
      input = { kind: 'files', chain: source(chain) }
      if (trustBundle !== undefined) input.trustBundle = source(await readInput(trustBundle, '--trust-bundle'))
    }
    return chainReport(input, this.at, rotateAt, options)
  }

  protected override renderTable(report: ChainReport): string {
    return renderChainTable(report, this.style)
  }

  protected override failed(report: ChainReport): boolean {
    return !report.valid
  }
}

function source(input: { name: string; origin: string; data: Uint8Array }): CertificateSource {
  return { name: input.name, origin: input.origin, data: input.data }
}
