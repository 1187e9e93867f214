// manifests/exporter installs the exporter: the Deployment runs it non-root with a read-only root
// filesystem and flags the exporter accepts; Service, probes and ServiceMonitor agree on the port;
// RBAC grants list+watch on exactly what the exporter watches (its fixed watches and those it opens
// for trust-manager bundles; and get on Secrets, which it reads again by name), no more; the ServiceMonitor validates against the upstream CRD.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { TRUST_MANAGER_READS, WATCHED_RESOURCES } from '../../exporter/exporter.js'
import { parseFlags } from '../../exporter/main.js'
import { crdErrors } from '../policies/support/crd.js'
import { itWithFixtures, repoRoot } from '../support/fixtures.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const DIR = join(repoRoot, 'manifests', 'exporter')
const load = (file: string): Obj[] => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJS() as Obj)
const objects = ['namespace.yaml', 'rbac.yaml', 'deployment.yaml', 'service.yaml', 'servicemonitor.yaml'].flatMap(load)
const one = (kind: string) => {
  const found = objects.filter((o) => o.kind === kind)
  assert.equal(found.length, 1, kind)
  return found[0]!
}

describe('exporter manifests (manifests/exporter)', () => {
  it('lists every file in its kustomization, and the monitoring rules', () => {
    const k = load('kustomization.yaml')[0]!
    assert.deepEqual(k.resources, ['namespace.yaml', 'rbac.yaml', 'deployment.yaml', 'service.yaml', 'servicemonitor.yaml', '../monitoring'])
  })

  it('runs the exporter non-root, read-only, without privileges, with flags it accepts', () => {
    const deploy = one('Deployment')
    const pod = deploy.spec.template.spec
    const container = pod.containers[0]
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.ok(pod.securityContext.runAsUser > 0)
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault')
    assert.equal(container.securityContext.readOnlyRootFilesystem, true)
    assert.equal(container.securityContext.allowPrivilegeEscalation, false)
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL'])
    assert.equal(pod.serviceAccountName, one('ServiceAccount').metadata.name)
    const config = parseFlags(container.args)
    assert.ok(typeof config === 'object')
    assert.equal(container.ports[0].containerPort, config.port)
    assert.equal(container.readinessProbe.httpGet.path, '/readyz')
    assert.equal(container.livenessProbe.httpGet.path, '/healthz')
    assert.equal(deploy.spec.replicas, 1, 'one exporter per cluster')
    assert.ok(container.resources.limits.memory)
  })

  it('exposes the metrics port through the Service and the ServiceMonitor, with job name meshcert-exporter', () => {
    const deploy = one('Deployment')
    const service = one('Service')
    const monitor = one('ServiceMonitor')
    assert.deepEqual(service.spec.selector, deploy.spec.selector.matchLabels)
    assert.equal(service.spec.ports[0].targetPort, deploy.spec.template.spec.containers[0].ports[0].name)
    assert.equal(monitor.spec.endpoints[0].port, service.spec.ports[0].name)
    assert.deepEqual(monitor.spec.selector.matchLabels, { 'app.kubernetes.io/name': service.metadata.labels['app.kubernetes.io/name'] })
    assert.equal(service.metadata.name, 'meshcert-exporter', 'the job label the alerts select on')
  })

  it('grants list and watch on exactly what the exporter watches, get on Secrets only, and no writes', () => {
    const role = one('ClusterRole')
    const granted = new Set<string>()
    for (const rule of role.rules as Obj[]) {
      for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) granted.add(`${verb} ${group}/${resource}${rule.resourceNames ? `[${[...rule.resourceNames].sort().join(',')}]` : ''}`)
    }
    const needed = new Set<string>()
    // A resource watched only by name is granted by resourceNames; one also watched otherwise (trust-manager's copies, in any namespace, of any bundle) needs the whole resource.
    const names = new Map<string, string[]>()
    const whole = new Set(TRUST_MANAGER_READS.map((t) => `${t.group}/${t.plural}`))
    for (const w of WATCHED_RESOURCES) {
      const key = `${w.type.group}/${w.type.plural}`
      const name = /^metadata\.name=([^,]+)$/.exec(w.fieldSelector ?? '')?.[1]
      if (w.type.plural === 'configmaps' && name) names.set(key, [...(names.get(key) ?? []), name])
      else whole.add(key)
    }
    for (const key of whole) for (const verb of ['list', 'watch']) needed.add(`${verb} ${key}`)
    for (const [key, list] of names) if (!whole.has(key)) for (const verb of ['list', 'watch']) needed.add(`${verb} ${key}[${list.sort().join(',')}]`)
    needed.add('get /secrets')
    assert.deepEqual([...granted].sort(), [...needed].sort())
    const binding = one('ClusterRoleBinding')
    assert.equal(binding.roleRef.name, role.metadata.name)
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'meshcert-exporter', namespace: 'meshcert-system' }])
  })

  itWithFixtures('the ServiceMonitor validates against the upstream prometheus-operator CRD', () => {
    const monitor = one('ServiceMonitor')
    assert.deepEqual(crdErrors(monitor as never), [])
    assert.ok(crdErrors({ ...monitor, spec: { ...monitor.spec, endpoints: [{ port: 'metrics', interval: 'every minute' }] } } as never).length > 0, 'the validator refuses a bad interval')
  })
})
