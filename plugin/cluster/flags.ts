// The flags of every command that reads a cluster, with kubectl's names and meanings, and the
// one function that turns them into a ClusterReader.
import { Flags } from '@oclif/core'
import { MeshcertError } from '../../core/errors.js'
import { isGoDuration, parseGoDuration } from '../../pki/duration.js'
import type { ClusterReader } from '../../cluster/reader.js'

export const MESHES = ['istio', 'linkerd', 'consul'] as const

export const kubeconfigFlag = Flags.string({ summary: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpValue: 'FILE', helpGroup: 'CLUSTER' })
export const contextFlag = Flags.string({ summary: 'The kubeconfig context to use (default: the current context).', helpValue: 'NAME', helpGroup: 'CLUSTER' })
export const namespaceFlag = Flags.string({ char: 'n', summary: 'Namespace (default: the namespace of the context).', helpValue: 'NS', helpGroup: 'CLUSTER' })
export const allNamespacesFlag = Flags.boolean({ char: 'A', summary: 'Look in every namespace.', helpGroup: 'CLUSTER', default: false, exclusive: ['namespace'] })
export const requestTimeoutFlag = Flags.string({
  summary: 'How long to wait for each request to the API server or a proxy (e.g. 10s, 1m; 0 = no limit).',
  helpValue: 'DURATION',
  default: '30s',
  helpGroup: 'CLUSTER',
})
export const meshFlag = Flags.string({ summary: 'The mesh of the pod, when detection from its containers and annotations is not wanted.', options: [...MESHES], helpGroup: 'CLUSTER' })

/** The flags that point at one cluster, in the order every command lists them. */
export const clusterFlags = {
  kubeconfig: kubeconfigFlag,
  context: contextFlag,
  namespace: namespaceFlag,
  'request-timeout': requestTimeoutFlag,
}

/** `--request-timeout`: kubectl accepts a bare number of seconds or a Go duration. */
export function parseRequestTimeout(value: string): number {
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  if (isGoDuration(value.trim())) {
    const ms = parseGoDuration(value.trim())
    if (ms >= 0) return ms
  }
  throw new MeshcertError('ERR_MESHCERT_USAGE', `--request-timeout ${JSON.stringify(value)} is not a duration`, 'give seconds or a duration, e.g. --request-timeout 10s or --request-timeout 1m (0 = no limit)')
}

export interface ClusterFlagValues {
  kubeconfig?: string
  context?: string
  namespace?: string
  'request-timeout'?: string
}

/** Open a reader for the flags (client-node is loaded here, not at command start). */
export async function openReader(flags: ClusterFlagValues, context = flags.context): Promise<ClusterReader> {
  const { ClusterReader } = await import('../../cluster/reader.js')
  return ClusterReader.open({
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(context !== undefined ? { context } : {}),
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    timeoutMs: parseRequestTimeout(flags['request-timeout'] ?? '30s'),
  })
}
