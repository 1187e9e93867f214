// Which cluster, as a user, in which namespace: the kubeconfig the way kubectl picks it —
// --kubeconfig, else $KUBECONFIG (a list of files, merged), else ~/.kube/config, else the
// in-cluster service account — then --context, else the current context, and the namespace of
// that context unless -n is given.
import type { KubeConfig } from '@kubernetes/client-node'
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

export interface LoadedKubeconfig {
  kc: KubeConfig
  contextName: string
  server: string
  /** The context's namespace, `default` when it names none. */
  namespace: string
  /** Where the configuration was read from, for messages. */
  source: string
}

/** Why `path` cannot be a kubeconfig before YAML is even tried (a directory, empty, binary). */
function notAKubeconfig(path: string): string | undefined {
  if (statSync(path).isDirectory()) return 'is a directory, not a file'
  const bytes = readFileSync(path)
  if (bytes.toString('utf8').trim() === '') return 'is empty'
  if (bytes.includes(0)) return 'is binary data, not a kubeconfig (YAML)'
  return undefined
}

export async function loadKubeconfig(options: KubeconfigOptions = {}): Promise<LoadedKubeconfig> {
  const { KubeConfig } = await import('@kubernetes/client-node')
  const env = options.env ?? process.env
  const kc = new KubeConfig()
  let source: string
  try {
    if (options.kubeconfig !== undefined) {
      if (!existsSync(options.kubeconfig)) {
        throw new MeshcertError('ERR_MESHCERT_INPUT', `--kubeconfig ${options.kubeconfig}: no such file`, 'check the path, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config')
      }
      const unusable = notAKubeconfig(options.kubeconfig)
      if (unusable) throw new MeshcertError('ERR_MESHCERT_INPUT', `--kubeconfig ${options.kubeconfig} ${unusable}`, 'pass the kubeconfig file (`kubectl config view --raw > FILE` writes one), or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config')
      kc.loadFromFile(options.kubeconfig)
      source = `--kubeconfig ${options.kubeconfig}`
    } else if (env.KUBECONFIG) {
      const files = env.KUBECONFIG.split(process.platform === 'win32' ? ';' : ':').filter((f) => f !== '' && existsSync(f))
      if (files.length === 0) throw new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `KUBECONFIG=${env.KUBECONFIG} names no file that exists`, 'point KUBECONFIG at your kubeconfig file, or pass --kubeconfig FILE')
      // client-node merges a KUBECONFIG list the way kubectl does (first file wins per name).
      const saved = process.env.KUBECONFIG
      process.env.KUBECONFIG = files.join(process.platform === 'win32' ? ';' : ':')
      try {
        kc.loadFromDefault()
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG
        else process.env.KUBECONFIG = saved
      }
      source = `KUBECONFIG=${env.KUBECONFIG}`
    } else {
      const home = join(env.HOME ?? homedir(), '.kube', 'config')
      if (existsSync(home)) {
        kc.loadFromFile(home)
        source = home
      } else if (env.KUBERNETES_SERVICE_HOST) {
        kc.loadFromCluster()
        source = 'in-cluster service account'
      } else {
        throw new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `no kubeconfig: KUBECONFIG is unset and ${home} does not exist`, 'pass --kubeconfig FILE, set KUBECONFIG, or log in to your cluster so that ~/.kube/config exists')
      }
    }
  } catch (err) {
    if (err instanceof MeshcertError) throw err
    const where = options.kubeconfig ?? env.KUBECONFIG ?? '~/.kube/config'
    throw new MeshcertError('ERR_MESHCERT_INPUT', `cannot read the kubeconfig ${where}: ${(err as Error).message.split('\n')[0]}`, 'check that the file is a valid kubeconfig: `kubectl config view`', { cause: err })
  }

  if (kc.getContexts().length === 0 && kc.getClusters().length === 0) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `${source} holds no contexts and no clusters: it is not a kubeconfig`, 'pass the kubeconfig file (`kubectl config view --raw > FILE` writes one)')
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name)
      throw new MeshcertError('ERR_MESHCERT_USAGE', `--context ${options.context}: no such context in ${source}${known.length ? ` (contexts: ${known.join(', ')})` : ''}`, 'list the contexts with `kubectl config get-contexts`')
    }
    kc.setCurrentContext(options.context)
  }
  const contextName = kc.getCurrentContext()
  const context = kc.getContextObject(contextName)
  const cluster = kc.getCurrentCluster()
  if (!context || !cluster) {
    throw new ClusterAccessError('ERR_MESHCERT_CLUSTER_UNREACHABLE', `${source} has no current context${contextName ? ` ("${contextName}" is not defined)` : ''}`, 'pick one with --context NAME or `kubectl config use-context NAME`')
  }
  return { kc, contextName, server: cluster.server, namespace: context.namespace || 'default', source }
}
