import assert from 'node:assert/strict'
import { MeshcertError } from '../../core/errors.js'
import { defaultPolicy, lintDocuments, renderLintReport } from '../../policies/index.js'
import { NOW } from '../support/certs.js'

const bad = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: long
spec:
  secretName: long
  duration: 8760h
  issuerRef: {name: istio-ca}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
`

describe('lintDocuments', () => {
  it('groups findings by file and object, with document and line numbers, and says the run would be denied', () => {
    const report = lintDocuments([{ path: 'bad.yaml', text: bad }, { path: 'only-a-document-separator.yaml', text: '---\n' + bad }], [defaultPolicy], NOW)
    assert.equal(report.denied, true)
    assert.equal(report.at, '2026-06-01T12:00:00Z')
    assert.deepEqual(report.summary, { files: 2, objects: 4, judged: 2, denied: 2, warned: 0, passed: 0 })
    const [cert, cm] = report.files[0]!.objects
    assert.deepEqual({ document: cert!.document, line: cert!.line, namespace: cert!.namespace, allowed: cert!.allowed }, { document: 1, line: 1, namespace: 'default', allowed: false })
    assert.deepEqual({ document: cm!.document, line: cm!.line, judged: cm!.judged }, { document: 2, line: 10, judged: false })
    const text = renderLintReport(report)
    assert.match(text, /Certificate default\/long \(document 1, line 1\): DENIED/)
    assert.match(text, /deny {2}\[default\/certificate-duration\] spec\.duration is 8760h, policy allows at most 2160h\./)
    assert.match(text, /4 objects in 2 files: 2 denied, 0 warned, 0 passed, 2 not judged/)
  })

  it('lends the labels of Namespaces among the manifests to the objects in them, and expands Lists', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: apps, labels: {istio-injection: enabled}}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p, namespace: apps, annotations: {sidecar.istio.io/inject: "false"}}\n    spec: {containers: [{name: c, image: i}]}\n`
    const report = lintDocuments([{ path: 'list.yaml', text }], [defaultPolicy], NOW)
    assert.deepEqual(report.files[0]!.objects.map((o) => `${o.kind}:${o.line}:${o.allowed}`), ['Namespace:4:true', 'Pod:7:false'])
  })

  it('refuses YAML that does not parse, naming the file, the document and the line', () => {
    assert.throws(
      () => lintDocuments([{ path: 'broken.yaml', text: 'apiVersion: v1\nkind: Pod\n---\nmetadata:\n  name: [unclosed\n' }], [defaultPolicy], NOW),
      (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_MANIFEST' && /broken\.yaml: invalid YAML in document 2 at line \d+/.test(err.message),
    )
  })

  const refusals: Array<[string, string, RegExp]> = [
    ['an empty file', '', /^empty\.yaml is empty \(or only comments\), so it holds no Kubernetes object$/],
    ['a file of comments', '# nothing here\n---\n', /^empty\.yaml is empty \(or only comments\), so it holds no Kubernetes object$/],
    ['binary data', 'PK\u0003\u0004\u0000\u0000binary', /^empty\.yaml is binary data, not YAML or JSON, so it holds no Kubernetes object$/],
    ['a PEM key read as YAML', '-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n', /^empty\.yaml: document 1 \(line 1\) is a YAML string, not an object/],
    ['a JSON array', '[1, 2]', /^empty\.yaml: document 1 \(line 1\) is a YAML sequence, not an object/],
    ['a document without apiVersion and kind', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nreplicas: 3\n', /^empty\.yaml: document 2 \(line 5\) has no apiVersion and no kind, so it is not a Kubernetes object$/],
    ['a document without kind', 'apiVersion: v1\nmetadata: {name: a}\n', /^empty\.yaml: document 1 \(line 1\) has no kind, so it is not a Kubernetes object$/],
  ]
  for (const [what, text, message] of refusals) {
    it(`refuses ${what}, naming the file: it holds no Kubernetes object`, () => {
      assert.throws(() => lintDocuments([{ path: 'empty.yaml', text }], [defaultPolicy], NOW), (err: unknown) => err instanceof MeshcertError && err.code === 'ERR_MESHCERT_MANIFEST' && err.exitCode === 2 && message.test(err.message))
    })
  }
})
