// `npm run demo` builds first, then runs the compiled demo (demo/main.ts -> dist/demo/main.js).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/demo/main.js', import.meta.url)
if (!existsSync(entry)) {
  console.error('error: dist/demo/main.js is missing\nFix: build first with `npm run build` (or run `npm run demo`, which builds)')
  process.exit(2)
}
const { main } = await import(entry.href)
await main()
