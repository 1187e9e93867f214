// AdmissionReview admission.k8s.io/v1, in and out. Decoding is strict: anything that is not a
// well-formed review is a ReviewError (HTTP 400), never a guess — a review we cannot read must not
// be admitted by accident. Only the fields the policy engine needs are taken from the request.
import { MeshcertError } from '../core/errors.js'
import type { AdmissionInput, GroupVersionKind, Operation } from '../policies/index.js'

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1'

// The policy engine owns the shape of what it judges; the webhook only fills it in.
export type { AdmissionInput, GroupVersionKind, Operation }
const operations: ReadonlySet<string> = new Set<Operation>(['CREATE', 'UPDATE', 'DELETE', 'CONNECT'])

export interface DecodedReview {
  uid: string
  input: AdmissionInput
  dryRun: boolean
}

/** A request the webhook cannot read: HTTP `status` with a message naming what is wrong. */
export class ReviewError extends MeshcertError {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly reason: string,
    message: string,
    hint?: string,
  ) {
    super('ERR_MESHCERT_ADMISSION_REVIEW', message, hint)
    this.name = 'ReviewError'
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const SEND_V1 = 'send an AdmissionReview admission.k8s.io/v1 (admissionReviewVersions: [v1] in the ValidatingWebhookConfiguration)'

function optionalString(request: Record<string, unknown>, field: string): string | undefined {
  const value = request[field]
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') throw new ReviewError(400, 'invalid-field', `AdmissionReview request.${field} must be a string, got ${typeof value}`, SEND_V1)
  return value
}

function decodeKind(value: unknown): GroupVersionKind {
  if (!isRecord(value)) throw new ReviewError(400, 'missing-kind', 'AdmissionReview request.kind is missing or not an object', SEND_V1)
  const { group = '', version, kind } = value
  if (typeof group !== 'string' || typeof version !== 'string' || version === '' || typeof kind !== 'string' || kind === '') {
    throw new ReviewError(400, 'invalid-kind', 'AdmissionReview request.kind must have string group, non-empty version and kind', SEND_V1)
  }
  return { group, version, kind }
}

/** Decode a parsed JSON body into the review's uid and the engine's input; throws ReviewError. */
export function decodeReview(body: unknown): DecodedReview {
  if (!isRecord(body)) throw new ReviewError(400, 'not-an-object', 'body is not a JSON object; expected an AdmissionReview', SEND_V1)
  if (body.kind !== 'AdmissionReview') {
    throw new ReviewError(400, 'wrong-kind', `body kind is ${JSON.stringify(body.kind ?? null)}, expected "AdmissionReview"`, SEND_V1)
  }
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    throw new ReviewError(400, 'wrong-api-version', `AdmissionReview apiVersion is ${JSON.stringify(body.apiVersion ?? null)}, expected "${ADMISSION_API_VERSION}"`, SEND_V1)
  }
  const request = body.request
  if (!isRecord(request)) throw new ReviewError(400, 'missing-request', 'AdmissionReview has no request object', SEND_V1)
  const uid = request.uid
  if (typeof uid !== 'string' || uid === '') throw new ReviewError(400, 'missing-uid', 'AdmissionReview request.uid is missing or empty', SEND_V1)
  const operation = request.operation
  if (typeof operation !== 'string' || !operations.has(operation)) {
    throw new ReviewError(400, 'invalid-operation', `AdmissionReview request.operation is ${JSON.stringify(operation ?? null)}, expected CREATE, UPDATE, DELETE or CONNECT`, SEND_V1)
  }
  const kind = decodeKind(request.kind)
  const namespace = optionalString(request, 'namespace')
  const name = optionalString(request, 'name')
  const input: AdmissionInput = { operation: operation as Operation, kind }
  if (namespace !== undefined) input.namespace = namespace
  if (name !== undefined) input.name = name
  if (request.object !== undefined && request.object !== null) input.object = request.object
  if (request.oldObject !== undefined && request.oldObject !== null) input.oldObject = request.oldObject
  return { uid, input, dryRun: request.dryRun === true }
}

export interface ReviewResponse {
  uid: string
  allowed: boolean
  status?: { code: number; reason?: string; message?: string }
  warnings?: string[]
  auditAnnotations?: Record<string, string>
}

/** The AdmissionReview the apiserver expects back: same apiVersion/kind, `response.uid` = request uid. */
export function encodeReview(response: ReviewResponse): string {
  return JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response })
}

/** `group/version/Kind` (core group as `v1/Kind`), the metric label and log field. */
export function kindLabel(kind: GroupVersionKind): string {
  return kind.group ? `${kind.group}/${kind.version}/${kind.kind}` : `${kind.version}/${kind.kind}`
}
