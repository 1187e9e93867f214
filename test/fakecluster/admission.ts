// Validating admission webhooks as kube-apiserver dispatches them, for the fake API server and for
// tests of a ValidatingWebhookConfiguration: which webhooks a request goes to (rules, scope,
// namespaceSelector, objectSelector, matchConditions in CEL), the AdmissionReview sent, and what
// becomes of the request when a webhook answers, denies, or cannot be called (failurePolicy).
// Upstream: k8s.io/apiserver pkg/admission/plugin/webhook generic/webhook.go ShouldCallHook,
// predicates/{rules,namespace,object}, matchconditions/matcher.go Match, validating/dispatcher.go.
import { randomUUID } from 'node:crypto'
import { isCelError, run, type CelInput } from '@bufbuild/cel'
import type { ResourceType } from './discovery.js'
import type { StatusBody } from './status.js'
import type { KubeObject } from './store.js'

type Obj = Record<string, unknown>

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>
}

export interface WebhookRule {
  apiGroups?: string[]
  apiVersions?: string[]
  operations?: string[]
  resources?: string[]
  scope?: 'Cluster' | 'Namespaced' | '*'
}

export interface ValidatingWebhook {
  name: string
  failurePolicy?: 'Fail' | 'Ignore'
  namespaceSelector?: LabelSelector
  objectSelector?: LabelSelector
  rules?: WebhookRule[]
  matchConditions?: Array<{ name: string; expression: string }>
  timeoutSeconds?: number
  clientConfig?: { url?: string; caBundle?: string; service?: { name: string; namespace: string; path?: string; port?: number } }
}

/** What kube-apiserver knows about a write when it runs admission. */
export interface AdmissionAttributes {
  operation: AdmissionOperation
  resource: Pick<ResourceType, 'group' | 'plural' | 'kind' | 'namespaced'>
  version: string
  subresource?: string
  /** The object's namespace; for a Namespace object, its own name (as the apiserver sets it). */
  namespace?: string
  name: string
  object?: KubeObject
  oldObject?: KubeObject
  userInfo?: { username: string; groups?: string[] }
  dryRun?: boolean
}

export interface AdmissionResponse {
  uid: string
  allowed: boolean
  status?: { code?: number; reason?: string; message?: string }
  warnings?: string[]
}

/** Transport failure calling a webhook (refused, TLS, timeout, bad answer): failurePolicy decides. */
export class WebhookCallError extends Error {}

/** Send one AdmissionReview to one webhook; throws WebhookCallError when it cannot be called. */
export type CallWebhook = (webhook: ValidatingWebhook, review: Obj) => Promise<AdmissionResponse>

export interface AdmissionDeps {
  /** Labels of a namespace, or undefined when it does not exist. */
  namespaceLabels(name: string): Record<string, string> | undefined
  call: CallWebhook
}

export type AdmissionVerdict =
  | { allowed: true; warnings: string[]; called: string[]; failedOpen: string[] }
  | { allowed: false; status: StatusBody; called: string[]; failedOpen: string[] }

function statusBody(code: number, reason: string, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

const internalError = (message: string) => statusBody(500, 'InternalError', `Internal error occurred: ${message}`)

/** metav1.LabelSelectorAsSelector semantics: every matchLabels pair and every expression must hold; empty selects everything. */
export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const has = (k: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, k)
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (!has(k) || labels![k] !== v) return false
  for (const e of selector?.matchExpressions ?? []) {
    const values = e.values ?? []
    const ok =
      e.operator === 'In' ? has(e.key) && values.includes(labels![e.key]!)
      : e.operator === 'NotIn' ? !has(e.key) || !values.includes(labels![e.key]!)
      : e.operator === 'Exists' ? has(e.key)
      : e.operator === 'DoesNotExist' ? !has(e.key)
      : false
    if (!ok) return false
  }
  return true
}

const isEmptySelector = (s: LabelSelector | undefined) => !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0)

/** predicates/rules Matcher.Matches: scope, operation, group, version, resource[/subresource], `*` wildcards. */
export function ruleMatches(rule: WebhookRule, attrs: AdmissionAttributes): boolean {
  const any = (items: string[] | undefined, value: string) => (items ?? []).some((i) => i === '*' || i === value)
  const isNamespace = attrs.resource.group === '' && attrs.resource.plural === 'namespaces'
  const namespaced = attrs.resource.namespaced
  const scope = rule.scope ?? '*'
  if (scope === 'Namespaced' && (isNamespace || !namespaced)) return false
  if (scope === 'Cluster' && !(isNamespace || !namespaced)) return false
  if (!any(rule.operations, attrs.operation)) return false
  if (!any(rule.apiGroups, attrs.resource.group) || !any(rule.apiVersions, attrs.version)) return false
  const sub = attrs.subresource ?? ''
  return (rule.resources ?? []).some((item) => {
    const [res, itemSub = ''] = item.split(/\/(.*)/s) as [string, string?]
    return (res === '*' || res === attrs.resource.plural) && (itemSub === '*' || itemSub === sub)
  })
}

/** JSON -> CEL input as Kubernetes converts unstructured objects: objects are maps, integers are `int`. */
function toCel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCel)
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value as Obj).map(([k, v]) => [k, toCel(v)]))
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  return value as CelInput
}

function admissionRequest(uid: string, attrs: AdmissionAttributes): Obj {
  const kind = { group: attrs.resource.group, version: attrs.version, kind: attrs.resource.kind }
  const resource = { group: attrs.resource.group, version: attrs.version, resource: attrs.resource.plural }
  return {
    uid,
    kind,
    resource,
    ...(attrs.subresource ? { subResource: attrs.subresource } : {}),
    requestKind: kind,
    requestResource: resource,
    name: attrs.name,
    ...(attrs.namespace !== undefined && (attrs.resource.namespaced || attrs.resource.plural === 'namespaces') ? { namespace: attrs.namespace } : {}),
    operation: attrs.operation,
    userInfo: attrs.userInfo ?? { username: 'meshcert-test' },
    object: attrs.object ?? null,
    oldObject: attrs.oldObject ?? null,
    dryRun: attrs.dryRun ?? false,
  }
}

/** matchconditions Match: any false skips; all true calls; an error (none false) fails the request under Fail, skips under Ignore. */
export function evaluateMatchConditions(webhook: ValidatingWebhook, request: Obj): { matches: boolean; error?: string } {
  const bindings = { object: toCel(request.object), oldObject: toCel(request.oldObject), request: toCel(request) }
  const errors: string[] = []
  for (const condition of webhook.matchConditions ?? []) {
    const result = run(condition.expression, bindings)
    if (isCelError(result)) errors.push(`${condition.name}: ${result.message}`)
    else if (typeof result !== 'boolean') errors.push(`${condition.name}: expression did not evaluate to a bool`)
    else if (!result) return { matches: false }
  }
  if (errors.length === 0) return { matches: true }
  return webhook.failurePolicy === 'Ignore' ? { matches: false } : { matches: false, error: errors.join('; ') }
}

export type WebhookSelection = { webhook: ValidatingWebhook; request: Obj } | { webhook: ValidatingWebhook; refusal: StatusBody }

/** generic ShouldCallHook, for every webhook of every configuration: the ones this request goes to (or the refusal a selection error causes). */
export function selectWebhooks(configurations: readonly KubeObject[], attrs: AdmissionAttributes, namespaceLabels: AdmissionDeps['namespaceLabels']): WebhookSelection[] {
  // The webhook configurations themselves are never sent to webhooks (rules.IsExemptAdmissionConfigurationResource).
  if (attrs.resource.group === 'admissionregistration.k8s.io') return []
  const selected: WebhookSelection[] = []
  const uid = randomUUID()
  for (const configuration of configurations) {
    for (const webhook of (configuration.webhooks ?? []) as ValidatingWebhook[]) {
      if (!(webhook.rules ?? []).some((rule) => ruleMatches(rule, attrs))) continue
      const isNamespace = attrs.resource.group === '' && attrs.resource.plural === 'namespaces'
      // namespace.Matcher: cluster-scoped kinds other than Namespace always match; a Namespace is matched on its own labels.
      if ((attrs.resource.namespaced || isNamespace) && !isEmptySelector(webhook.namespaceSelector)) {
        const labels = isNamespace && (attrs.operation === 'CREATE' || attrs.operation === 'UPDATE') ? attrs.object?.metadata.labels ?? {} : namespaceLabels(attrs.namespace ?? '')
        if (labels === undefined) {
          selected.push({ webhook, refusal: statusBody(404, 'NotFound', `namespaces "${attrs.namespace}" not found`) })
          continue
        }
        if (!labelSelectorMatches(webhook.namespaceSelector, labels)) continue
      }
      // object.Matcher: the object's or the old object's labels.
      if (!isEmptySelector(webhook.objectSelector)) {
        const matches = [attrs.object, attrs.oldObject].some((o) => o !== undefined && labelSelectorMatches(webhook.objectSelector, o.metadata.labels ?? {}))
        if (!matches) continue
      }
      const request = admissionRequest(uid, attrs)
      if (webhook.matchConditions?.length) {
        const result = evaluateMatchConditions(webhook, request)
        if (result.error !== undefined) {
          selected.push({ webhook, refusal: statusBody(403, 'Forbidden', `${attrs.resource.plural} "${attrs.name}" is forbidden: ${result.error}`) })
          continue
        }
        if (!result.matches) continue
      }
      selected.push({ webhook, request })
    }
  }
  return selected
}

/** validating Dispatch: call every selected webhook; a denial or (under failurePolicy Fail) a failed call refuses the request. */
export async function admit(configurations: readonly KubeObject[], attrs: AdmissionAttributes, deps: AdmissionDeps): Promise<AdmissionVerdict> {
  const selected = selectWebhooks(configurations, attrs, deps.namespaceLabels)
  const called: string[] = []
  const failedOpen: string[] = []
  const refusal = selected.find((s): s is Extract<WebhookSelection, { refusal: StatusBody }> => 'refusal' in s)
  if (refusal) return { allowed: false, status: refusal.refusal, called, failedOpen }
  const warnings: string[] = []
  const outcomes = await Promise.all(
    selected.map(async (s) => {
      if (!('request' in s)) return undefined
      const { webhook, request } = s
      called.push(webhook.name)
      let response: AdmissionResponse
      try {
        response = await deps.call(webhook, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request })
        if (response.uid !== request.uid) throw new WebhookCallError(`expected response.uid="${String(request.uid)}", got "${response.uid}"`)
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err)
        if (webhook.failurePolicy === 'Ignore') {
          failedOpen.push(webhook.name)
          return undefined
        }
        return internalError(`failed calling webhook "${webhook.name}": ${reason}`)
      }
      warnings.push(...(response.warnings ?? []))
      if (response.allowed) return undefined
      // errors.ToStatusErr: never a code below 400, the message prefixed with who denied it.
      const status = response.status ?? {}
      const code = (status.code ?? 0) < 400 ? 400 : status.code!
      const denied = `admission webhook "${webhook.name}" denied the request`
      const message = status.message ? `${denied}: ${status.message}` : status.reason ? `${denied}: ${status.reason}` : `${denied} without explanation`
      return statusBody(code, status.reason ?? '', message)
    }),
  )
  const failure = outcomes.find((o) => o !== undefined)
  if (failure) return { allowed: false, status: failure, called, failedOpen }
  return { allowed: true, warnings, called, failedOpen }
}
