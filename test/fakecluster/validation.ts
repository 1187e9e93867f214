// Objects applied to the fake cluster are checked against the real upstream CRD schema of their
// kind and version (../shared/fixtures/crds), as kube-apiserver would before storing them, so a
// test can never pass on an object a real cluster would reject. Kinds without a CRD fixture
// (built-ins, CRDs a test declares itself) pass through; without the fixtures nothing is checked.
import { existsSync } from 'node:fs'
import { crdErrors, hasCrd } from '../policies/support/crd.js'
import { fixturePath, hasFixtures } from '../support/fixtures.js'
import type { KubeObject } from './store.js'

/** True when the upstream CRD fixtures are there to validate against. */
export const crdFixturesPresent = hasFixtures && existsSync(fixturePath('crds'))

/** An applied object that its kind's CRD schema rejects. */
export class InvalidObjectError extends Error {
  constructor(
    readonly object: KubeObject,
    /** One line per objection: the field path (JSON pointer, or dotted for unknown fields) and the reason. */
    readonly problems: string[],
  ) {
    const meta = object.metadata
    const name = meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name
    super(
      `${object.kind} ${name} (${object.apiVersion}) is invalid against its CustomResourceDefinition schema:\n` +
        problems.map((p) => `  ${p}`).join('\n'),
    )
    this.name = 'InvalidObjectError'
  }
}

/** Throw InvalidObjectError for the first object its CRD schema rejects; objects without a CRD fixture pass. */
export function validateAgainstCrds(objects: readonly KubeObject[]): void {
  if (!crdFixturesPresent) return
  for (const object of objects) {
    if (!hasCrd(object.apiVersion, object.kind)) continue
    const problems = crdErrors(object)
    if (problems.length > 0) throw new InvalidObjectError(object, problems)
  }
}
