// Reading a file named on the command line (or stdin for "-"), with errors that name the flag and
// the path and say what to do — never an ENOENT stack trace.
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { MeshcertError } from '../core/errors.js'

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
