// `kubectl meshcert chain` end to end: the real built CLI (bin/kubectl-meshcert.js, reading
// oclif.manifest.json) run as a child process on generated certificate files and on the upstream
// config dumps. Validity is always judged with --at NOW, never the wall clock.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { ChainReport } from '../../mesh/chain-report.js'
import * as x509 from '@peculiar/x509'
import { DAY, HOUR, NOW, issue, meshPki, pemBundle, type MeshPki } from '../support/certs.js'
import { runCli, type CliRun } from '../support/cli.js'
import { fixturePath, itWithFixtures, readFixture } from '../support/fixtures.js'

const AT = ['--at', NOW.toISOString()]

function json(run: CliRun): ChainReport {
  return JSON.parse(run.stdout) as ChainReport
}

describe('kubectl meshcert chain (the built CLI)', function () {
  let dir: string
  let pki: MeshPki
  const file = (name: string) => join(dir, name)

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcert-chain-'))
    pki = await meshPki()
    const httpbin = await pki.workload('default', 'httpbin')
    const expired = await pki.workload('default', 'sleep', { notBefore: new Date(NOW.getTime() - 3 * DAY), notAfter: new Date(NOW.getTime() - 2 * DAY) })
    const other = await meshPki('other.example')
    const window = { notBefore: new Date(NOW.getTime() - 6 * HOUR), notAfter: new Date(NOW.getTime() + 18 * HOUR) }
    const bareCa = await issue({ subject: 'O=cluster.local,CN=Bare CA', ...window, isCA: true, noSubjectKeyId: true, basicConstraintsCritical: false }, pki.root)
    const underBareCa = await issue({ subject: '', ...window, uris: ['spiffe://cluster.local/ns/default/sa/web'], noAuthorityKeyId: true }, bareCa)
    const clientOnly = await issue({ subject: 'CN=client.example', ...window, dns: ['client.example'], extKeyUsage: [x509.ExtendedKeyUsage.clientAuth] }, pki.intermediate)
    const twoIds = await pki.workload('default', 'shared', { uris: ['spiffe://cluster.local/ns/default/sa/shared', 'spiffe://cluster.local/ns/default/sa/other'] })
    writeFileSync(file('chain.pem'), pemBundle(httpbin, pki.intermediate))
    writeFileSync(file('chain-shuffled-with-root.pem'), pemBundle(pki.root, httpbin, pki.intermediate))
    writeFileSync(file('expired.pem'), pemBundle(expired, pki.intermediate))
    writeFileSync(file('root.pem'), pki.root.pem)
    writeFileSync(file('bare-ca.pem'), pemBundle(underBareCa, bareCa))
    writeFileSync(file('client-only.pem'), pemBundle(clientOnly, pki.intermediate))
    writeFileSync(file('two-ids.pem'), pemBundle(twoIds, pki.intermediate))
    writeFileSync(file('other-root.pem'), other.root.pem)
    writeFileSync(file('leaf.der'), httpbin.der)
    writeFileSync(file('tls.key'), await httpbin.keyPem())
    writeFileSync(file('garbage.pem'), 'hello, this is not a certificate\n')
    writeFileSync(file('empty.pem'), '')
    writeFileSync(
      file('dump.json'),
      JSON.stringify({
        dynamicActiveSecrets: [
          { name: 'default', secret: { name: 'default', tlsCertificate: { certificateChain: { inlineBytes: Buffer.from(pemBundle(httpbin, pki.intermediate)).toString('base64') } } } },
          { name: 'ROOTCA', secret: { name: 'ROOTCA', validationContext: { trustedCa: { inlineBytes: Buffer.from(pki.root.pem).toString('base64') } } } },
        ],
      }),
    )
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('a leaf and intermediate verified against the mesh root exit 0 and list the istioctl columns plus identity, key and rotation', async () => {
    const run = await runCli(['chain', '-f', file('chain.pem'), '--trust-bundle', file('root.pem'), ...AT])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    const [header, leafRow] = run.stdout.split('\n')
    for (const column of ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE', 'IDENTITY', 'ISSUER', 'KEY', 'LIFETIME USED', 'ROTATE AT']) {
      assert.ok(header!.includes(column), `missing column ${column}`)
    }
    assert.match(leafRow!, /^chain\.pem\s+Cert Chain\s+FILE\s+true\s+[0-9a-f]+\s+2026-06-02T06:00:00Z\s+2026-06-01T06:00:00Z\s+spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin\s+CN=Intermediate CA,O=cluster\.local\s+ECDSA P-256\s+25\.0%\s+2026-06-01T18:00:00Z$/)
    assert.match(run.stdout, /^root\.pem\s+CA\s+FILE\s+true/m)
    assert.match(run.stdout, /chain\.pem: chain verifies at 2026-06-01T12:00:00Z against the trust bundle root\.pem \(1 root\)\./)
  })

  it('an expired leaf at --at exits 1 and ends with the fix of the first failure', async () => {
    const run = await runCli(['chain', '-f', file('expired.pem'), '--trust-bundle', file('root.pem'), ...AT])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /does NOT verify/)
    assert.match(run.stdout, /FAIL \[chain\.validity\].*expired at 2026-05-30T12:00:00Z/)
    const lines = run.stdout.trimEnd().split('\n')
    assert.match(lines[lines.length - 1]!, /^Fix: /)
    // The same chain judged before it expired verifies.
    const earlier = await runCli(['chain', '-f', file('expired.pem'), '--trust-bundle', file('root.pem'), '--at', new Date(NOW.getTime() - 2 * DAY - 12 * HOUR).toISOString()])
    assert.equal(earlier.code, 0, earlier.stdout)
  })

  it('a chain checked against a root that did not issue it exits 1 and names the bundle roots', async () => {
    const run = await runCli(['chain', '-f', file('chain.pem'), '--trust-bundle', file('other-root.pem'), ...AT, '-o', 'json'])
    assert.equal(run.code, 1)
    const report = json(run)
    assert.equal(report.valid, false)
    const failed = report.chains[0]!.verification.findings.filter((f) => f.status === 'fail')
    assert.ok(failed.length > 0)
    assert.ok(failed.some((f) => /other\.example|trust bundle|root/i.test(f.message)), JSON.stringify(failed))
  })

  it('without --trust-bundle the self-signed certificate in the input is the root, and the output says so', async () => {
    const run = await runCli(['chain', '-f', file('chain-shuffled-with-root.pem'), ...AT])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /against its own self-signed certificate\(s\) \(1 root; no trust bundle given\)/)
    assert.match(run.stdout, /WARN \[chain\.trustAnchors\] no trust bundle given: the self-signed certificate\(s\) in chain-shuffled-with-root\.pem are used as roots/)
    const report = json(await runCli(['chain', '-f', file('chain-shuffled-with-root.pem'), ...AT, '-o', 'json']))
    assert.equal(report.chains[0]!.roots.source, 'self-signed-in-input')
  })

  it('without --trust-bundle and without a self-signed certificate the chain cannot verify (exit 1) and the fix asks for a bundle', async () => {
    const run = await runCli(['chain', '-f', file('chain.pem'), ...AT])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /no roots to verify chain\.pem against/)
    assert.match(run.stdout, /Fix: pass the roots with --trust-bundle FILE\n$/)
  })

  it('-o json has the documented fields for every certificate and a verification object', async () => {
    const run = await runCli(['chain', '-f', file('chain.pem'), '--trust-bundle', file('root.pem'), ...AT, '-o', 'json'])
    assert.equal(run.code, 0)
    const report = json(run)
    assert.equal(report.at, '2026-06-01T12:00:00Z')
    assert.equal(report.valid, true)
    assert.equal(report.input, 'files')
    const chain = report.chains[0]!
    assert.equal(chain.verification.valid, true)
    assert.ok(Array.isArray(chain.verification.findings))
    const leaf = chain.verification.path[0]!
    for (const key of ['serialNumber', 'notBefore', 'notAfter', 'spiffeId', 'subject', 'issuer', 'sha256Fingerprint', 'isCA', 'keyAlgorithm', 'keySize'] as const) {
      assert.ok(key in leaf, `path[0] lacks ${key}`)
    }
    assert.equal(leaf.spiffeId, 'spiffe://cluster.local/ns/default/sa/httpbin')
    assert.equal(leaf.isCA, false)
    assert.equal(leaf.keyAlgorithm, 'ECDSA')
    assert.deepEqual(
      report.rows.map((r) => [r.resourceName, r.type]),
      [
        ['chain.pem', 'Cert Chain'],
        ['chain.pem', 'Intermediate'],
        ['root.pem', 'CA'],
      ],
    )
  })

  it('-o yaml carries the same report as -o json', async () => {
    const args = ['chain', '-f', file('chain.pem'), '--trust-bundle', file('root.pem'), ...AT]
    const [asJson, asYaml] = await Promise.all([runCli([...args, '-o', 'json']), runCli([...args, '-o', 'yaml'])])
    assert.equal(asYaml.code, 0)
    assert.deepEqual(parseYaml(asYaml.stdout), JSON.parse(asJson.stdout))
  })

  it('reads DER and stdin (-f -) as well as PEM files', async () => {
    const der = await runCli(['chain', '-f', file('leaf.der'), '--trust-bundle', file('root.pem'), ...AT, '-o', 'json'])
    // The leaf alone cannot reach the root without its intermediate.
    assert.equal(der.code, 1)
    assert.equal(json(der).rows[0]!.type, 'Cert Chain')
    const piped = await runCli(['chain', '-f', '-', '--trust-bundle', file('root.pem'), ...AT], { stdin: pemBundle(await pki.workload('default', 'piped'), pki.intermediate) })
    assert.equal(piped.code, 0, piped.stderr)
    assert.match(piped.stdout, /^stdin\s+Cert Chain/m)
  })

  it('--config-dump verifies the workload chain against the dump\'s own ROOTCA', async () => {
    const run = await runCli(['chain', '--config-dump', file('dump.json'), ...AT])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /^default\s+Cert Chain\s+ACTIVE\s+true/m)
    assert.match(run.stdout, /^ROOTCA\s+CA\s+ACTIVE\s+true/m)
    assert.match(run.stdout, /default: chain verifies at 2026-06-01T12:00:00Z against the dump's ROOTCA \(1 root\)\./)
  })

  itWithFixtures("on istioctl's own secret dump the rows match istioctl's golden table, and the expired leaf fails", async () => {
    const run = await runCli(['chain', '--config-dump', fixturePath('configdumps/istio-secret/config_dump.json'), ...AT])
    assert.equal(run.code, 1)
    const golden = readFixture('configdumps/istio-secret/output.txt').trimEnd().split('\n').slice(1)
    const ours = run.stdout.split('\n')
    for (const line of golden) {
      const [name, ...rest] = line.trim().split(/\s{2,}/)
      // istioctl: NAME TYPE STATUS VALID SERIAL NOT-AFTER NOT-BEFORE (TYPE empty for the warming secret).
      const expected = rest.length === 2 ? ['', ...rest] : rest
      const match = ours.find((l) => {
        const cells = l.split(/\s{2,}/)
        return cells[0] === name && (expected[0] === '' || cells.slice(1, 7).join('|') === expected.join('|'))
      })
      assert.ok(match, `no row like istioctl's ${JSON.stringify(line)} in:\n${run.stdout}`)
    }
    assert.match(run.stdout, /expired at 2023-05-16T01:32:52Z/)
  })

  itWithFixtures('on a Consul dataplane dump every inline TLS context is verified against its own trusted_ca', async () => {
    const report = json(await runCli(['chain', '--config-dump', fixturePath('configdumps/consul/test_config_dump.json'), '--at', '2022-08-11T00:00:00Z', '-o', 'json']))
    const contexts = report.chains.filter((c) => c.name !== 'default')
    assert.ok(contexts.length >= 3)
    for (const chain of contexts) {
      assert.equal(chain.verification.valid, true, JSON.stringify(chain.verification.findings.filter((f) => f.status === 'fail')))
      assert.equal(chain.roots.source, 'config-dump')
    }
  })

  describe('the RFC 5280 profile: warnings by default, failures with --strict', () => {
    it('a CA without key identifiers or a critical basicConstraints verifies with warnings that name the rule and the verifiers (exit 0)', async () => {
      const run = await runCli(['chain', '-f', file('bare-ca.pem'), '--trust-bundle', file('root.pem'), ...AT])
      assert.equal(run.code, 0, run.stdout)
      assert.match(run.stdout, /bare-ca\.pem: chain verifies at 2026-06-01T12:00:00Z against the trust bundle root\.pem \(1 root\)\./)
      assert.match(run.stdout, /WARN \[rfc5280\.subject-key-id\] intermediate CN=Bare CA,O=cluster\.local: it is a CA without a subjectKeyIdentifier \(RFC 5280 §4\.2\.1\.2/)
      assert.match(run.stdout, /WARN \[rfc5280\.basic-constraints\]/)
      assert.match(run.stdout, /WARN \[rfc5280\.authority-key-id\]/)
      assert.match(run.stdout, /why: refused by OpenSSL \(X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER with -x509_strict\); accepted by Linkerd proxy's rustls-webpki and Go crypto\/x509; a warning here, a failure with --strict/)
    })

    it('the same chain with --strict does not verify (exit 1), says it was judged strictly, and ends with a fix', async () => {
      const run = await runCli(['chain', '-f', file('bare-ca.pem'), '--trust-bundle', file('root.pem'), '--strict', ...AT])
      assert.equal(run.code, 1, run.stdout)
      assert.match(run.stdout, /bare-ca\.pem: chain does NOT verify .*, by the RFC 5280 profile \(--strict\)\./)
      assert.match(run.stdout, /FAIL \[rfc5280\.subject-key-id\]/)
      assert.match(run.stdout.trimEnd().split('\n').pop()!, /^Fix: reissue/)
      const json = JSON.parse((await runCli(['chain', '-f', file('bare-ca.pem'), '--trust-bundle', file('root.pem'), '--strict', ...AT, '-o', 'json'])).stdout) as ChainReport
      assert.deepEqual(json.profile, { strict: true, purpose: 'any' })
      assert.deepEqual(json.chains[0]!.verification.profile, { strict: true, purpose: 'any' })
    })

    it('--purpose server refuses a client-only leaf (exit 1); --purpose client and the default accept it (exit 0)', async () => {
      const server = await runCli(['chain', '-f', file('client-only.pem'), '--trust-bundle', file('root.pem'), '--purpose', 'server', ...AT])
      assert.equal(server.code, 1, server.stdout)
      assert.match(server.stdout, /, for TLS server use\./)
      assert.match(server.stdout, /FAIL \[rfc5280\.ext-key-usage\] leaf CN=client\.example: its extendedKeyUsage \(clientAuth\) does not list serverAuth/)
      assert.match(server.stdout, /no peer accepts it/)
      for (const args of [['--purpose', 'client'], []]) {
        const run = await runCli(['chain', '-f', file('client-only.pem'), '--trust-bundle', file('root.pem'), ...args, ...AT])
        assert.equal(run.code, 0, run.stdout)
      }
    })
  })

  it('a leaf with two spiffe:// URI SANs is no SVID: exit 1, identity none with the reason, in the table and in JSON', async () => {
    const run = await runCli(['chain', '-f', file('two-ids.pem'), '--trust-bundle', file('root.pem'), ...AT])
    assert.equal(run.code, 1, run.stdout)
    assert.match(run.stdout.split('\n')[1]!, /^two-ids\.pem\s+Cert Chain\s+FILE\s+true\s+\S+\s+\S+\s+\S+\s+none: 2 URI SANs\s+CN=Intermediate CA/)
    assert.match(run.stdout, /FAIL \[svid\.uri-san\] leaf spiffe:\/\/cluster\.local\/ns\/default\/sa\/shared has 2 URI SANs/)
    const report = JSON.parse((await runCli(['chain', '-f', file('two-ids.pem'), '--trust-bundle', file('root.pem'), ...AT, '-o', 'json'])).stdout) as ChainReport
    assert.deepEqual([report.rows[0]!.identity, report.rows[0]!.identityProblem], ['none', '2 URI SANs'])
    assert.deepEqual(report.chains[0]!.verification.svid, { status: 'invalid', reason: '2 URI SANs', uris: ['spiffe://cluster.local/ns/default/sa/shared', 'spiffe://cluster.local/ns/default/sa/other'] })
    assert.equal(report.valid, false)
  })

  describe('bad usage and bad input exit 2 with a message and a fix, never a stack trace', () => {
    const cases: Array<[string, () => string[], RegExp]> = [
      ['a missing file', () => ['chain', '-f', file('nope.pem')], /error: -f .*nope\.pem: no such file\nFix: /],
      ['a private key where a certificate was expected', () => ['chain', '-f', file('tls.key')], /error: .*tls\.key holds a private key.*\nFix: /],
      ['a file of garbage', () => ['chain', '-f', file('garbage.pem')], /error: .*garbage\.pem.*\nFix: /],
      ['an empty file', () => ['chain', '-f', file('empty.pem')], /error: .*empty\.pem is empty\nFix: /],
      ['a trust bundle that is not certificates', () => ['chain', '-f', file('chain.pem'), '--trust-bundle', file('garbage.pem')], /error: --trust-bundle .*garbage\.pem.*\nFix: /],
      ['a config dump that is a PEM file', () => ['chain', '--config-dump', file('chain.pem')], /error: --config-dump .*chain\.pem is not JSON.*\nFix: /],
      ['a bad --at', () => ['chain', '-f', file('chain.pem'), '--at', 'yesterday'], /error: --at "yesterday" is not an RFC 3339 time\nFix: give a date, a time and a zone/],
      ['an impossible --at date', () => ['chain', '-f', file('chain.pem'), '--at', '2026-02-30T00:00:00Z'], /not an RFC 3339 time/],
      ['a --rotate-at outside 0..1', () => ['chain', '-f', file('chain.pem'), '--rotate-at', '1.5'], /error: --rotate-at "1\.5" is not a fraction between 0 and 1/],
      ['-f together with --config-dump', () => ['chain', '-f', file('chain.pem'), '--config-dump', file('dump.json')], /cannot also be provided when using/],
      ['no input at all', () => ['chain'], /error: nothing to verify.*\nFix: /],
      ['an unknown output format', () => ['chain', '-f', file('chain.pem'), '-o', 'xml'], /error: Expected --output=xml to be one of: table, wide, json, yaml\nFix: see `kubectl meshcert chain --help`/],
      ['an unknown --purpose', () => ['chain', '-f', file('chain.pem'), '--purpose', 'email'], /error: Expected --purpose=email to be one of: any, server, client\nFix: /],
    ]
    for (const [what, args, message] of cases) {
      it(`${what} is refused with exit 2 and a fix`, async () => {
        const run = await runCli(args())
        assert.equal(run.code, 2, run.stdout + run.stderr)
        assert.equal(run.stdout, '', 'nothing but the result goes to stdout')
        assert.match(run.stderr, message)
        assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
      })
    }

    it('the private key is never echoed when a key file is passed', async () => {
      const run = await runCli(['chain', '-f', file('tls.key')])
      assert.doesNotMatch(run.stderr + run.stdout, /BEGIN PRIVATE KEY|MII/)
    })
  })

  it('colour is used only on a TTY: piped output has no escape codes even when NO_COLOR is unset', async () => {
    const run = await runCli(['chain', '-f', file('expired.pem'), '--trust-bundle', file('root.pem'), ...AT], { env: { NO_COLOR: '' } })
    assert.ok(!(run.stdout + run.stderr).includes(String.fromCharCode(27)), 'no ANSI escape')
  })
})
