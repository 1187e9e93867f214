// The fake cluster's TLS identity (its own CA, a serving certificate for 127.0.0.1/localhost,
// client certificates) and the kubeconfig files that point clients at it.
//
// These certificates are checked by real TLS stacks (Node, Go's kubectl) against the wall clock,
// so unlike the certificates under test they are dated from the current time.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import { stringify } from 'yaml'
import { DAY, issue, type Issued } from '../support/certs.js'

export interface ServerTls {
  ca: Issued
  caPem: string
  certPem: string
  keyPem: string
}

export interface ClientCertificate {
  certPem: string
  keyPem: string
}

let serverTls: Promise<ServerTls> | undefined
const clientCerts = new Map<string, Promise<ClientCertificate>>()

/** One CA and serving certificate per test process: key generation is the slow part of startup. */
export function fakeClusterTls(): Promise<ServerTls> {
  serverTls ??= (async () => {
    const now = Date.now()
    const ca = await issue({ subject: 'CN=meshcert-fake-cluster-ca', notBefore: new Date(now - DAY), notAfter: new Date(now + 365 * DAY), isCA: true })
    const server = await issue(
      {
        subject: 'CN=kube-apiserver',
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 365 * DAY),
        dns: ['localhost', 'kubernetes', 'kubernetes.default.svc'],
        ips: ['127.0.0.1'],
        extKeyUsage: [x509.ExtendedKeyUsage.serverAuth],
      },
      ca,
    )
    return { ca, caPem: ca.pem, certPem: server.pem, keyPem: await server.keyPem() }
  })()
  return serverTls
}

/** A client certificate the fake server maps to user CN and groups O, as kube-apiserver does. */
export function clientCertificate(user: string, groups: string[] = []): Promise<ClientCertificate> {
  const key = [user, ...groups].join('\n')
  let cert = clientCerts.get(key)
  if (!cert) {
    cert = (async () => {
      const { ca } = await fakeClusterTls()
      const now = Date.now()
      const subject = [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(',')
      const issued = await issue(
        { subject, notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY), extKeyUsage: [x509.ExtendedKeyUsage.clientAuth], key: 'ECDSA-P256' },
        ca,
      )
      return { certPem: issued.pem, keyPem: await issued.keyPem() }
    })()
    clientCerts.set(key, cert)
  }
  return cert
}

export type KubeconfigUser = { token: string } | { clientCertificate: ClientCertificate }

export interface KubeconfigEntry {
  contextName: string
  clusterName?: string
  userName: string
  server: string
  caPem: string
  namespace?: string
  user: KubeconfigUser
}

const b64 = (text: string): string => Buffer.from(text).toString('base64')

/** A kubeconfig (YAML) with one context per entry; the first is the current context. */
export function kubeconfigYaml(entries: KubeconfigEntry[], currentContext = entries[0]?.contextName): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: entries.map((e) => ({ name: e.clusterName ?? e.contextName, cluster: { server: e.server, 'certificate-authority-data': b64(e.caPem) } })),
    users: entries.map((e) => ({
      name: e.userName,
      user:
        'token' in e.user
          ? { token: e.user.token }
          : { 'client-certificate-data': b64(e.user.clientCertificate.certPem), 'client-key-data': b64(e.user.clientCertificate.keyPem) },
    })),
    contexts: entries.map((e) => ({
      name: e.contextName,
      context: { cluster: e.clusterName ?? e.contextName, user: e.userName, ...(e.namespace ? { namespace: e.namespace } : {}) },
    })),
    'current-context': currentContext,
  }
  return stringify(doc)
}

/** Write a kubeconfig into a fresh private temp directory; returns its path. */
export function writeKubeconfig(yamlText: string, fileName = 'kubeconfig'): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshcert-fakecluster-'))
  const path = join(dir, fileName)
  writeFileSync(path, yamlText, { mode: 0o600 })
  return path
}
