import assert from 'node:assert/strict'
import { parseConfigDump, type DataSource, type ProxySecret } from '../../mesh/envoy/configdump.js'
import { decodeCertificates } from '../../pki/index.js'
import { MeshcertError } from '../../core/errors.js'
import { meshPki, type MeshPki } from '../support/certs.js'
import { itWithFixtures, readFixture } from '../support/fixtures.js'

function inline(source: DataSource | undefined): Uint8Array | string {
  assert.ok(source, 'expected a data source')
  assert.equal(source.kind, 'inline')
  return (source as Extract<DataSource, { kind: 'inline' }>).data
}

function serials(source: DataSource | undefined): string[] {
  return decodeCertificates(inline(source), 'test').map((c) => c.serialNumber.toLowerCase())
}

function byName(secrets: ProxySecret[], name: string): ProxySecret {
  const secret = secrets.find((s) => s.name === name)
  assert.ok(secret, `no secret named ${name} in ${secrets.map((s) => s.name).join(', ')}`)
  return secret
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64')
}

function assertDumpError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MeshcertError)
    assert.equal(err.code, 'ERR_MESHCERT_CONFIG_DUMP')
    assert.match(err.message, pattern)
    assert.match(err.hint ?? '', /istioctl/)
    return true
  })
}

describe('Envoy config dump parsing', () => {
  let pki: MeshPki
  let leafPem: string
  before(async () => {
    pki = await meshPki()
    leafPem = (await pki.workload('default', 'httpbin')).pem
  })

  itWithFixtures("istioctl's secret fixture yields the same three secrets, states and serials istioctl prints", () => {
    const dump = parseConfigDump(readFixture('configdumps/istio-secret/config_dump.json'), 'config_dump.json')
    assert.equal(dump.format, 'envoy')
    assert.deepEqual(
      dump.secrets.map((s) => [s.name, s.state]),
      [
        ['default', 'ACTIVE'],
        ['ROOTCA', 'ACTIVE'],
        ['configmap://some/thing', 'WARMING'],
      ],
    )
    // istioctl's golden output.txt: default 6fbee254…, ROOTCA 0193a543….
    assert.equal(serials(byName(dump.secrets, 'default').certificateChain)[0], '6fbee254c22900615cb1f74e3d2f1713')
    assert.deepEqual(serials(byName(dump.secrets, 'ROOTCA').trustedCa), ['0193a543fe2b0d9cd4847675394dfc54'])
    const warming = byName(dump.secrets, 'configmap://some/thing')
    assert.equal(warming.certificateChain, undefined)
    assert.equal(warming.versionInfo, 'uninitialized')
    assert.equal(warming.lastUpdated, '2025-04-11T14:59:35.648Z')
    assert.equal(byName(dump.secrets, 'default').hasPrivateKey, true)
  })

  itWithFixtures('a full Istio sidecar dump yields its default chain and ROOTCA from the SecretsConfigDump section', () => {
    const dump = parseConfigDump(readFixture('configdumps/istio-sidecar/config_dump.json'), 'sidecar.json')
    assert.deepEqual(dump.secrets.map((s) => s.name), ['default', 'ROOTCA'])
    assert.equal(byName(dump.secrets, 'default').source, 'sds')
    assert.ok(serials(byName(dump.secrets, 'ROOTCA').trustedCa).length === 1)
  })

  itWithFixtures("a Consul dataplane dump yields the SDS secrets and the Connect leaf and CA inlined in clusters and listeners", () => {
    const dump = parseConfigDump(readFixture('configdumps/consul/test_config_dump.json'), 'consul.json')
    const root = byName(dump.secrets, 'ROOTCA')
    assert.equal(root.state, 'WARMING')
    const cluster = byName(dump.secrets, 'client.default.dc1.internal.bc3815c2-1a0f-f3ff-a2e9-20d791f08d00.consul')
    assert.equal(cluster.source, 'cluster')
    assert.equal(cluster.state, 'ACTIVE')
    assert.equal(cluster.versionInfo, '2eee24224b508d5e77766867b5ad793bc4555abce4d3fa564da125617c68e46a')
    const [leaf] = decodeCertificates(inline(cluster.certificateChain), 'consul leaf')
    assert.match(leaf!.getExtension('2.5.29.17') ? 'has SAN' : '', /has SAN/)
    assert.equal(decodeCertificates(inline(cluster.trustedCa), 'consul ca').length, 1)
    const listener = dump.secrets.find((s) => s.source === 'listener')
    assert.ok(listener, 'the public listener carries an inline TLS context')
    assert.match(listener.name, /^public_listener:/)
    // The inline private keys are only noted, never carried.
    assert.equal(cluster.hasPrivateKey, true)
    assert.ok(!JSON.stringify(dump).includes('redacted'))
  })

  itWithFixtures("a ztunnel dump yields one entry per identity with istioctl's states, the last chain entry as root", () => {
    const dump = parseConfigDump(readFixture('configdumps/istio-ztunnel/dump.json'), 'ztunnel.json')
    assert.equal(dump.format, 'ztunnel')
    assert.deepEqual(
      dump.secrets.map((s) => [s.name, s.state]),
      [
        ['spiffe://cluster.local/ns/istio-system/sa/istiod', 'Available'],
        ['spiffe://cluster.local/ns/istio-system/sa/ztunnel', 'Initializing'],
        ['spiffe://cluster.local/ns/istio-system/sa/another-sa', 'Unavailable'],
        ['spiffe://cluster.local/ns/istio-system/sa/istiod', 'Unavailable'],
      ],
    )
    const first = dump.secrets[0]!
    // secretsummary.txt: Leaf e5dfb591…, Root 8a516645….
    assert.deepEqual(serials(first.certificateChain), ['e5dfb59150b2ba7f108d93dcec5aa613'])
    assert.deepEqual(serials(first.trustedCa), ['8a516645c40ce76c2c0d27ab4e2461c1'])
    assert.match(dump.secrets[3]!.detail ?? '', /signing gRPC error/)
  })

  it('reads the camelCase protojson spelling istioctl -o json prints, with a warming secret and base64-of-PEM bytes', () => {
    const text = JSON.stringify({
      dynamicActiveSecrets: [
        {
          name: 'default',
          versionInfo: '2026-06-01T06:00:00Z/7',
          lastUpdated: '2026-06-01T06:00:01Z',
          secret: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
            name: 'default',
            tlsCertificate: { certificateChain: { inlineBytes: b64(leafPem + pki.intermediate.pem) }, privateKey: { inlineBytes: b64('[redacted]') } },
          },
        },
      ],
      dynamicWarmingSecrets: [
        { name: 'ROOTCA', lastUpdated: '2026-06-01T06:00:02Z', secret: { name: 'ROOTCA', validationContext: { trustedCa: { inlineString: pki.root.pem } } } },
      ],
    })
    const dump = parseConfigDump(text, 'istioctl.json')
    const chain = byName(dump.secrets, 'default')
    assert.equal(chain.versionInfo, '2026-06-01T06:00:00Z/7')
    assert.ok(inline(chain.certificateChain) instanceof Uint8Array)
    assert.equal(decodeCertificates(inline(chain.certificateChain), 'chain').length, 2)
    const roots = byName(dump.secrets, 'ROOTCA')
    assert.equal(roots.state, 'WARMING')
    assert.equal(inline(roots.trustedCa), pki.root.pem)
    assert.equal(roots.trustedCa?.field, 'validation_context.trusted_ca.inline_string')
  })

  it('reads the snake_case admin spelling inside a configs list and the same secrets come out as from camelCase', () => {
    const secret = { name: 'default', secret: { name: 'default', tls_certificate: { certificate_chain: { inline_bytes: b64(leafPem) } } } }
    const snake = parseConfigDump(JSON.stringify({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump', dynamic_active_secrets: [secret] }] }), 'a')
    const camel = parseConfigDump(
      JSON.stringify({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump', dynamicActiveSecrets: [{ name: 'default', secret: { name: 'default', tlsCertificate: { certificateChain: { inlineBytes: b64(leafPem) } } } }] }] }),
      'b',
    )
    assert.deepEqual(serials(snake.secrets[0]!.certificateChain), serials(camel.secrets[0]!.certificateChain))
  })

  it('reads SPIRE-style SPIFFE validator trust domains, one bundle per domain', () => {
    const text = JSON.stringify({
      dynamic_active_secrets: [
        {
          name: 'spiffe://example.org',
          secret: {
            name: 'spiffe://example.org',
            validation_context: {
              custom_validator_config: {
                name: 'envoy.tls.cert_validator.spiffe',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig',
                  trust_domains: [
                    { name: 'example.org', trust_bundle: { inline_bytes: b64(pki.root.pem) } },
                    { name: 'partner.example', trust_bundle: { filename: '/run/spire/bundle/partner.pem' } },
                  ],
                },
              },
            },
          },
        },
      ],
    })
    const [secret] = parseConfigDump(text, 'spire.json').secrets
    assert.deepEqual(secret!.trustDomains?.map((d) => [d.name, d.trustBundle.kind]), [
      ['example.org', 'inline'],
      ['partner.example', 'file'],
    ])
  })

  it('never keeps private key material from the dump', async () => {
    const keyPem = await pki.root.keyPem()
    const text = JSON.stringify({ dynamic_active_secrets: [{ name: 'default', secret: { tls_certificate: { certificate_chain: { inline_string: leafPem }, private_key: { inline_string: keyPem } } } }] })
    const dump = parseConfigDump(text, 'k.json')
    assert.equal(dump.secrets[0]!.hasPrivateKey, true)
    assert.ok(!JSON.stringify(dump).includes('PRIVATE KEY'))
  })

  it('refuses text that is not JSON, naming the input and saying how to get a dump', () => {
    assertDumpError(() => parseConfigDump('RESOURCE NAME  TYPE  STATUS\n', 'table.txt'), /table\.txt is not JSON/)
    assertDumpError(() => parseConfigDump('  ', 'empty.json'), /empty\.json is empty/)
    assertDumpError(() => parseConfigDump('[1,2]', 'list.json'), /not a JSON object/)
  })

  itWithFixtures('refuses a real listeners-only dump because it holds no certificates', () => {
    assertDumpError(() => parseConfigDump(readFixture('configdumps/istio-authz/configdump.yaml'), 'listeners.json'), /has no secrets with certificates/)
  })

  it('refuses a JSON document that is no config dump at all, and inline_bytes that is not base64', () => {
    assertDumpError(() => parseConfigDump('{"kind":"Pod"}', 'pod.json'), /not an Envoy config dump/)
    assertDumpError(
      () => parseConfigDump(JSON.stringify({ dynamic_active_secrets: [{ name: 'default', secret: { tls_certificate: { certificate_chain: { inline_bytes: 'not base64!' } } } }] }), 'bad.json'),
      /inline_bytes is not base64/,
    )
  })
})
