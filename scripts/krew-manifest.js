// Points plugins/meshcert.yaml at a packed release: version (from the tarball's package.json),
// uri and sha256 of the tarball. Usage: node scripts/krew-manifest.js meshcert-VERSION.tgz URL [OUT]
// (OUT defaults to plugins/meshcert.yaml). Comments and layout of the manifest are kept.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

const [tarball, uri, out = new URL('../plugins/meshcert.yaml', import.meta.url).pathname] = process.argv.slice(2)
if (!tarball || !uri) {
  console.error('usage: node scripts/krew-manifest.js meshcert-VERSION.tgz URL [OUT]')
  process.exit(2)
}
const bytes = readFileSync(tarball)
const sha256 = createHash('sha256').update(bytes).digest('hex')

/** package/package.json from the tarball (ustar entries: 512-byte header, data padded to 512). */
function packageJson(tgz) {
  const tar = gunzipSync(tgz)
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '')
    const prefix = tar.toString('utf8', at + 345, at + 500).replace(/\0.*$/s, '')
    const size = parseInt(tar.toString('utf8', at + 124, at + 136).replace(/\0.*$/s, '').trim() || '0', 8)
    if ((prefix ? `${prefix}/${name}` : name) === 'package/package.json') return JSON.parse(tar.toString('utf8', at + 512, at + 512 + size))
    at += 512 + Math.ceil(size / 512) * 512
  }
  throw new Error(`${tarball} holds no package/package.json: not an npm-packed tarball`)
}

const version = `v${packageJson(bytes).version}`
const manifest = readFileSync(new URL('../plugins/meshcert.yaml', import.meta.url), 'utf8')
  .replace(/^( {2}version: ).*$/m, `$1${version}`)
  .replace(/^( {4}uri: ).*$/m, `$1${uri}`)
  .replace(/^( {4}sha256: ).*$/m, `$1"${sha256}"`)
  .replace(/store\/meshcert\/v[^/]+\//g, `store/meshcert/${version}/`)
writeFileSync(out, manifest)
console.error(`${out}: ${version}, sha256 ${sha256}`)
