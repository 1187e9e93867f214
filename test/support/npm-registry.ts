// An npm registry on 127.0.0.1 that serves the packages already installed in this checkout's
// node_modules, so `npm install` of a packed meshcert can be tested with no network: npm itself
// resolves the dependency ranges against packuments built from each installed package.json and
// fetches tarballs packed from the installed folders (ustar, gzip, `package/` prefix, as npm
// packs them).
import { createServer, type Server } from 'node:http'
import { type AddressInfo } from 'node:net'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

interface Installed {
  dir: string
  manifest: Record<string, unknown> & { name: string; version: string }
}

/** Every package under `nodeModules`, nested node_modules included, by name then version. */
function installedPackages(nodeModules: string): Map<string, Map<string, Installed>> {
  const found = new Map<string, Map<string, Installed>>()
  const visit = (dir: string) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue
      const path = join(dir, entry)
      if (entry.startsWith('@')) {
        visit(path)
        continue
      }
      const pkg = join(path, 'package.json')
      if (!existsSync(pkg)) continue
      const manifest = JSON.parse(readFileSync(pkg, 'utf8')) as Installed['manifest']
      if (typeof manifest.name === 'string' && typeof manifest.version === 'string') {
        if (!found.has(manifest.name)) found.set(manifest.name, new Map())
        found.get(manifest.name)!.set(manifest.version, { dir: path, manifest })
      }
      visit(join(path, 'node_modules'))
    }
  }
  visit(nodeModules)
  return found
}

/** A ustar header block for `name` (a path under `package/`). */
function tarHeader(name: string, size: number, mode: number): Buffer {
  const header = Buffer.alloc(512)
  let prefix = ''
  let base = name
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
  }
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'utf8')
  const octal = (value: number, offset: number, length: number) => field(value.toString(8).padStart(length - 1, '0') + '\0', offset, length)
  field(base, 0, 100)
  octal(mode, 100, 8)
  octal(0, 108, 8)
  octal(0, 116, 8)
  octal(size, 124, 12)
  octal(499162500, 136, 12) // npm's fixed mtime, 1985-10-26
  header.fill(' ', 148, 156)
  field('0', 156, 1)
  field('ustar\0', 257, 6)
  field('00', 263, 2)
  field(prefix, 345, 155)
  let sum = 0
  for (const byte of header) sum += byte
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
  return header
}

/** The installed folder as npm's tarball: its files (not its own node_modules) under `package/`. */
function packFolder(dir: string): Buffer {
  const parts: Buffer[] = []
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      const path = join(current, entry)
      if (current === dir && entry === 'node_modules') continue
      const info = statSync(path)
      if (info.isDirectory()) walk(path)
      else if (info.isFile()) {
        const data = readFileSync(path)
        parts.push(tarHeader(`package/${relative(dir, path).split('\\').join('/')}`, data.length, info.mode & 0o111 ? 0o755 : 0o644), data, Buffer.alloc((512 - (data.length % 512)) % 512))
      }
    }
  }
  walk(dir)
  parts.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(parts))
}

export interface LocalRegistry {
  url: string
  /** Package names npm asked for that are not installed here. */
  missing: string[]
  close(): Promise<void>
}

export async function startLocalRegistry(nodeModules: string): Promise<LocalRegistry> {
  const packages = installedPackages(nodeModules)
  const missing: string[] = []
  let url = ''
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!)
    const tarball = /^\/-\/tarball\/(.+)\/([^/]+)\.tgz$/.exec(path)
    if (tarball) {
      const found = packages.get(tarball[1]!)?.get(tarball[2]!)
      if (!found) return void res.writeHead(404).end()
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(packFolder(found.dir))
      return
    }
    const name = path.slice(1)
    const versions = packages.get(name)
    if (!versions) {
      missing.push(name)
      return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}')
    }
    const all = [...versions.values()]
    const packument = {
      name,
      'dist-tags': { latest: all[all.length - 1]!.manifest.version },
      versions: Object.fromEntries(all.map(({ manifest }) => [manifest.version, { ...manifest, dist: { tarball: `${url}/-/tarball/${encodeURIComponent(name)}/${manifest.version}.tgz` } }])),
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(packument))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, missing, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
