// Which cluster, as a user, in which namespace: the kubeconfig the way kubectl picks it —
// --kubeconfig, else $KUBECONFIG (a list of files, merged), else ~/.kube/config, else the
// in-cluster service account — then --context, else the current context, and the namespace of
// that context unless -n is given.
import type { KubeConfig } from '@kubernetes/client-node'
import type { RequestOptions } from 'node:https'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ClusterAccessError, MeshcertError } from '../core/errors.js'

export interface KubeconfigOptions {
  /** `--kubeconfig`. */
  kubeconfig?: string
  /** `--context`. */
  context?: string
  /** Environment to read KUBECONFIG/HOME from (tests pass their own). */
  env?: NodeJS.ProcessEnv
}

/** Where a cluster is and how to authenticate to it, whichever loader read the kubeconfig. */
export interface ClusterConnection {
  contextName: string
  server: string
  /** The context's namespace, `default` when it names none. */
  namespace: string
  /** Where the configuration was read from, for messages. */
  source: string
  /** TLS material and auth headers for requests; fresh each call (rotated tokens, exec plugins). */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>
}

export interface LoadedKubeconfig extends ClusterConnection {
  /** client-node's KubeConfig, for what needs it (port-forward). */
  kc: KubeConfig
}

/** Why `path` cannot be a kubeconfig before YAML is even tried (a directory, empty, binary). */
function notAKubeconfig(path: string): string | undefined {
  if (statSync(path).isDirectory()) return 'is a directory, not a file'
  const bytes = readFileSync(path)
  if (bytes.toString('utf8').trim() === '') return 'is empty'
  if (bytes.includes(0)) return 'is binary data, not a kubeconfig (YAML)'
  return undefined
}

/** Which kubeconfig, as kubectl picks it: files (a KUBECONFIG list is merged in order), or the in-cluster service account. */
export type KubeconfigSelection = { kind: 'file'; file: string; source: string } | { kind: 'list'; files: string[]; source: string } | { kind: 'in-cluster'; source: string }

/** The kubeconfig kubectl would use: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account. */
export function selectKubeconfig(options: KubeconfigOptions = {}): KubeconfigSelection {
  const env = options.env ?? process.env
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) {
      throw new MeshcertError('ERR_MESHCERT_INPUT', `--kubeconfig ${options.kubeconfig}: no such file`, 'check the path, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config')
    }
    const unusable = notAKubeconfig(options.kubeconfig)
    if (unusable) throw new MeshcertError('ERR_MESHCERT_INPUT', `--kubeconfig ${options.kubeconfig} ${unusable}`, 'pass the kubeconfig file (`kubectl config view --raw > FILE` writes one), or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config')
    return { kind: 'file', file: options.kubeconfig, source: `--kubeconfig ${options.kubeconfig}` }
  }
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(process.platform === 'win32' ? ';' : ':').filter((f) => f !== '' && existsSync(f))
    if (files.length === 0) throw new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `KUBECONFIG=${env.KUBECONFIG} names no file that exists`, 'point KUBECONFIG at your kubeconfig file, or pass --kubeconfig FILE')
    return { kind: 'list', files, source: `KUBECONFIG=${env.KUBECONFIG}` }
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config')
  if (existsSync(home)) return { kind: 'file', file: home, source: home }
  if (env.KUBERNETES_SERVICE_HOST) return { kind: 'in-cluster', source: 'in-cluster service account' }
  throw new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `no kubeconfig: KUBECONFIG is unset and ${home} does not exist`, 'pass --kubeconfig FILE, set KUBECONFIG, or log in to your cluster so that ~/.kube/config exists')
}

export function unreadableKubeconfig(options: KubeconfigOptions, err: unknown): MeshcertError {
  const where = options.kubeconfig ?? (options.env ?? process.env).KUBECONFIG ?? '~/.kube/config'
  return new MeshcertError('ERR_MESHCERT_INPUT', `cannot read the kubeconfig ${where}: ${(err as Error).message.split('\n')[0]}`, 'check that the file is a valid kubeconfig: `kubectl config view`', { cause: err })
}

/** A file that parsed but names no cluster and no context (a JSON object, another tool's YAML). */
export function emptyKubeconfig(source: string): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_INPUT', `${source} holds no contexts and no clusters: it is not a kubeconfig`, 'pass the kubeconfig file (`kubectl config view --raw > FILE` writes one)')
}

export function unknownContext(context: string, source: string, known: string[]): MeshcertError {
  return new MeshcertError('ERR_MESHCERT_USAGE', `--context ${context}: no such context in ${source}${known.length ? ` (contexts: ${known.join(', ')})` : ''}`, 'list the contexts with `kubectl config get-contexts`')
}

export function noCurrentContext(source: string, contextName: string): ClusterAccessError {
  return new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `${source} has no current context${contextName ? ` ("${contextName}" is not defined)` : ''}`, 'pick one with --context NAME or `kubectl config use-context NAME`')
}

export async function loadKubeconfig(options: KubeconfigOptions = {}): Promise<LoadedKubeconfig> {
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  const selection = selectKubeconfig(options)
  try {
    if (selection.kind === 'file') kc.loadFromFile(selection.file)
    else if (selection.kind === 'in-cluster') kc.loadFromCluster()
    else {
      // client-node merges a KUBECONFIG list the way kubectl does (first file wins per name).
      const saved = process.env.KUBECONFIG
      process.env.KUBECONFIG = selection.files.join(process.platform === 'win32' ? ';' : ':')
      try {
        kc.loadFromDefault()
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG
        else process.env.KUBECONFIG = saved
      }
    }
  } catch (err) {
    throw unreadableKubeconfig(options, err)
  }
  const source = selection.source
  if (kc.getContexts().length === 0 && kc.getClusters().length === 0) throw emptyKubeconfig(source)
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) throw unknownContext(options.context, source, kc.getContexts().map((c) => c.name))
    kc.setCurrentContext(options.context)
  }
  const contextName = kc.getCurrentContext()
  const context = kc.getContextObject(contextName)
  const cluster = kc.getCurrentCluster()
  if (!context || !cluster) throw noCurrentContext(source, contextName)
  return { kc, contextName, server: cluster.server, namespace: context.namespace || 'default', source, applyToHTTPSOptions: (opts) => kc.applyToHTTPSOptions(opts) }
}
