// Policies in force: loaded from files and reloaded on change; an invalid change is refused with
// the field path and the reason while the last good set stays; the cluster feed (the informer's
// add/update/delete) goes through the same validation, driven here through PolicySource's own API.
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isMeshcertError } from '../../core/errors.js'
import { createLogger } from '../../webhook/log.js'
import { createMetrics } from '../../webhook/metrics.js'
import { PolicySource, policyFiles } from '../../webhook/policy-source.js'
import { admissionReview, captureLogs, eventually, policyYaml, responseOf, startTestWebhook, tempDir, writeAtomically, type TestWebhook } from './support.js'

function certificate(duration: string): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { secretName: 'api-tls', duration, dnsNames: ['api.shop.svc'], issuerRef: { name: 'mesh-ca', kind: 'ClusterIssuer' } },
  }
}

const limit = (maxDuration: string) => policyYaml('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration } })

function policyObject(name: string, spec: Record<string, unknown>, resourceVersion = '1'): Record<string, unknown> {
  return { apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', metadata: { name, resourceVersion }, spec }
}

describe('webhook policies from files', function () {
  let hook: TestWebhook
  beforeEach(async () => {
    hook = await startTestWebhook({ policies: { 'lifetime.yaml': limit('2160h') } })
  })
  afterEach(() => hook.close())

  const allowed = async (duration: string) => responseOf(await hook.client.review(admissionReview(certificate(duration)))).allowed

  it('reloads a changed policy file without a restart', async () => {
    assert.equal(await allowed('4000h'), false)
    writeAtomically(join(hook.policyDir, 'lifetime.yaml'), limit('8760h'))
    await eventually('the new limit to apply', async () => await allowed('4000h'))
    assert.equal(await allowed('9000h'), false)
    assert.match((await hook.client.get('/metrics')).text, /meshcert_webhook_policy_reloads_total\{source="file",result="success"\} 2/)
  })

  it('picks up a policy file added to the directory', async () => {
    assert.equal(await allowed('1000h'), true)
    writeAtomically(join(hook.policyDir, 'stricter.yaml'), policyYaml('short-lived', { enforcement: 'Deny', certificates: { maxDuration: '720h' } }))
    await eventually('the added policy to apply', async () => !(await allowed('1000h')))
    assert.equal(hook.webhook.policies.policies.length, 2)
  })

  it('refuses an invalid policy with the field path and reason and keeps the last good set in force', async () => {
    writeAtomically(join(hook.policyDir, 'lifetime.yaml'), policyYaml('cert-lifetime', { enforcement: 'Deny', certificates: { maxDuration: 'ten days' } }))
    await eventually('the refusal', () => hook.logs.find('policy reload refused').length > 0)
    const [line] = hook.logs.find('policy reload refused')
    assert.equal(line!.code, 'ERR_MESHCERT_POLICY')
    assert.match(String(line!.error), /spec\.certificates\.maxDuration/)
    assert.match(String(line!.error), /lifetime\.yaml/)
    assert.equal(await allowed('4000h'), false, 'the old 2160h limit still applies')
    assert.equal(await allowed('720h'), true)
    assert.match((await hook.client.get('/metrics')).text, /meshcert_webhook_policy_reloads_total\{source="file",result="failure"\} 1/)
    assert.equal((await hook.client.get('/readyz')).status, 200, 'still ready on the last good set')
  })

  it('refuses YAML that does not parse and keeps the last good set', async () => {
    writeAtomically(join(hook.policyDir, 'lifetime.yaml'), 'apiVersion: meshcert.io/v1alpha1\nkind: MeshCertPolicy\nspec: [unclosed\n')
    await eventually('the refusal', () => hook.logs.find('policy reload refused').length > 0)
    assert.equal(await allowed('4000h'), false)
  })
})

describe('webhook startup with policy files', function () {
  it('refuses to start on an invalid policy with ERR_MESHCERT_POLICY naming the field', async () => {
    await assert.rejects(
      startTestWebhook({ policies: { 'bad.yaml': policyYaml('bad', { enforcement: 'Sometimes' }) } }),
      (err) => isMeshcertError(err) && err.code === 'ERR_MESHCERT_POLICY' && /spec\.enforcement/.test(err.message),
    )
  })

  it('refuses to start on a policy directory without any policy', async () => {
    await assert.rejects(startTestWebhook({ policies: {} }), (err) => isMeshcertError(err) && /no MeshCertPolicy found/.test(err.message))
  })
})

describe('PolicySource', function () {
  const make = (paths: string[] = [], cluster = false) => {
    const { logs, stream } = captureLogs()
    const source = new PolicySource({ paths, cluster, logger: createLogger({ stream }), metrics: createMetrics({ defaultMetrics: false }) })
    return { source, logs }
  }

  it('lists only the YAML and JSON files of a directory, not the hidden ..data entries of a ConfigMap volume', () => {
    const dir = tempDir()
    mkdirSync(join(dir, '..2026_06_01'))
    for (const name of ['b.yaml', 'a.yml', 'c.json', 'README.md', '.hidden.yaml']) writeFileSync(join(dir, name), '')
    assert.deepEqual(policyFiles(dir).map((f) => f.slice(dir.length + 1)), ['a.yml', 'b.yaml', 'c.json'])
  })

  it('refuses a policy defined twice across files, naming both files', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'one.yaml'), limit('2160h'))
    writeFileSync(join(dir, 'two.yaml'), limit('720h'))
    const { source } = make([dir])
    const result = source.loadFiles()
    assert.equal(result.ok, false)
    assert.match(result.error!, /cert-lifetime is defined twice: in .*one\.yaml and in .*two\.yaml/)
    assert.equal(source.ready, false)
  })

  it('loads several policies from one multi-document file and several paths', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'multi.yaml'), limit('2160h') + '---\n' + policyYaml('mtls', { mtls: { mode: 'STRICT' } }))
    const single = join(tempDir(), 'single.yaml')
    writeFileSync(single, policyYaml('principals', { principals: { allowAll: false } }))
    const { source } = make([dir, single])
    assert.equal(source.loadFiles().ok, true)
    assert.deepEqual(source.policies.map((p) => p.metadata.name), ['cert-lifetime', 'mtls', 'principals'])
  })

  it('takes a valid cluster policy, refuses an invalid update of it and keeps its last good version', () => {
    const { source, logs } = make([], true)
    assert.equal(source.applyClusterEvent('add', policyObject('lifetime', { certificates: { maxDuration: '2160h' } })), true)
    assert.equal(source.applyClusterEvent('update', policyObject('lifetime', { certificates: { maxDuration: 'forever' } }, '2')), false)
    assert.equal(source.policies.length, 1)
    assert.equal(source.policies[0]!.spec.certificates?.maxDuration, '2160h')
    const [line] = logs.find('cluster policy update refused')
    assert.equal(line!.policy, 'lifetime')
    assert.match(String(line!.error), /spec\.certificates\.maxDuration/)
  })

  it('refuses an invalid new cluster policy without touching the others', () => {
    const { source, logs } = make([], true)
    source.applyClusterEvent('add', policyObject('good', { enforcement: 'Warn' }))
    assert.equal(source.applyClusterEvent('add', policyObject('bad', { enforcement: 'Never' })), false)
    assert.deepEqual(source.policies.map((p) => p.metadata.name), ['good'])
    assert.equal(logs.find('cluster policy refused').length, 1)
  })

  it('removes a deleted cluster policy and ignores an event without a name', () => {
    const { source } = make([], true)
    source.applyClusterEvent('add', policyObject('a', {}))
    source.applyClusterEvent('add', policyObject('b', {}))
    source.applyClusterEvent('delete', policyObject('a', {}))
    assert.deepEqual(source.policies.map((p) => p.metadata.name), ['b'])
    assert.equal(source.applyClusterEvent('add', { apiVersion: 'meshcert.io/v1alpha1', kind: 'MeshCertPolicy', spec: {} }), false)
  })

  it('does not count or log a reload when the files have not changed, nor refuse the same content twice', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'p.yaml'), limit('2160h'))
    const { source, logs } = make([dir])
    assert.equal(source.loadFiles().ok, true)
    assert.equal(source.loadFiles().ok, true)
    assert.equal(logs.find('policies loaded from files').length, 1)
    writeFileSync(join(dir, 'p.yaml'), limit('forever'))
    assert.equal(source.loadFiles().ok, false)
    assert.equal(source.loadFiles().ok, false)
    assert.equal(logs.find('policy reload refused').length, 1)
    assert.equal(source.policies[0]!.spec.certificates?.maxDuration, '2160h')
  })

  it('is ready only once every configured source has delivered', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'p.yaml'), limit('2160h'))
    const { source } = make([dir], true)
    assert.equal(source.ready, false)
    source.loadFiles()
    assert.equal(source.ready, false, 'the cluster has not been listed yet')
    source.markClusterSynced()
    assert.equal(source.ready, true)
  })

  it('merges file and cluster policies and tells listeners about every change', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'p.yaml'), limit('2160h'))
    const { source } = make([dir], true)
    const seen: number[] = []
    source.onChange((policies) => seen.push(policies.length))
    source.loadFiles()
    source.applyClusterEvent('add', policyObject('from-cluster', { mtls: { mode: 'STRICT' } }))
    source.applyClusterEvent('delete', policyObject('from-cluster', {}))
    assert.deepEqual(seen, [1, 2, 1])
  })
})
