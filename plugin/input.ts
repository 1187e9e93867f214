// Reading a file named on the command line (or stdin for "-"), a directory of manifests, and
// MeshCertPolicy files, with errors that name the flag and the path and say what to do — never an
// ENOENT stack trace.
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { MeshcertError } from '../core/errors.js'
import type { MeshCertPolicy } from '../policies/index.js'

export interface InputFile {
  /** Short name for tables: the file's base name, or `stdin`. */
  name: string
  /** Names the input in messages: `-f ./certs/chain.pem`, `-f - (stdin)`. */
  origin: string
  data: Uint8Array
}

async function readStdin(flag: string): Promise<Uint8Array> {
  if (process.stdin.isTTY) {
    throw new MeshcertError('ERR_MESHCERT_INPUT', `${flag} - reads stdin, but stdin is a terminal`, `pipe the data in, e.g. \`cat chain.pem | kubectl meshcert chain ${flag} -\`, or give a file name`)
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return new Uint8Array(Buffer.concat(chunks))
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
}

export async function readInput(path: string, flag: string): Promise<InputFile> {
  if (path === '-') return { name: 'stdin', origin: `${flag} - (stdin)`, data: await readStdin(flag) }
  try {
    return { name: basename(path), origin: `${flag} ${path}`, data: new Uint8Array(await readFile(path)) }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    const reason = REASONS[code] ?? (err as Error).message
    throw new MeshcertError('ERR_MESHCERT_INPUT', `${flag} ${path}: ${reason}`, code === 'EISDIR' ? `name a file inside ${path}` : 'check the path (relative paths start from the current directory)', { cause: err })
  }
}

const MANIFEST = /\.(ya?ml|json)$/i

/** The manifest files a path stands for: a file, a directory (recursively: *.yaml, *.yml, *.json) or stdin (`-`). */
export async function collectFiles(path: string, flag: string): Promise<Array<{ path: string; text: string }>> {
  if (path === '-') {
    const input = await readInput('-', flag)
    return [{ path: '-', text: Buffer.from(input.data).toString('utf8') }]
  }
  let info
  try {
    info = await stat(path)
  } catch {
    // readInput words the error (no such file, permission denied) with a hint.
    const input = await readInput(path, flag)
    return [{ path, text: Buffer.from(input.data).toString('utf8') }]
  }
  if (!info.isDirectory()) {
    const input = await readInput(path, flag)
    return [{ path, text: Buffer.from(input.data).toString('utf8') }]
  }
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))
  const files: Array<{ path: string; text: string }> = []
  for (const entry of entries) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) files.push(...(await collectFiles(child, flag)))
    else if (MANIFEST.test(entry.name)) files.push(...(await collectFiles(child, flag)))
  }
  return files
}

/** MeshCertPolicies from `--policy` files and directories; none found is an error that says what to give. */
export async function readPolicyFiles(sources: readonly string[]): Promise<MeshCertPolicy[]> {
  const { parsePolicies } = await import('../policies/index.js')
  const policies: MeshCertPolicy[] = []
  for (const source of sources) {
    for (const file of await collectFiles(source, '--policy')) policies.push(...parsePolicies(file.text, `--policy ${file.path}`))
  }
  if (policies.length === 0) {
    throw new MeshcertError('ERR_MESHCERT_POLICY', `--policy ${sources.join(', ')}: no MeshCertPolicy found`, 'give a file with at least one MeshCertPolicy (see manifests/policy-default.yaml)')
  }
  return policies
}
