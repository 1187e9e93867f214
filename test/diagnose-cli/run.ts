// Running the real built CLI against a fake cluster: every run names the cluster's kubeconfig and,
// unless the test gives one, judges validity at NOW (never the wall clock).
import { NOW } from '../support/certs.js'
import { runCli, type CliRun } from '../support/cli.js'

export type { CliRun }

export function meshcert(args: string[], kubeconfigPath: string): Promise<CliRun> {
  return runCli([...args, '--kubeconfig', kubeconfigPath, ...(args.includes('--at') ? [] : ['--at', NOW.toISOString()])])
}
