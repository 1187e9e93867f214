// A real headless Chromium for page tests, driven over the DevTools protocol with the `ws` package
// (no browser download, no playwright): start it on a fresh profile with everything that would
// reach the network switched off (the tests run air-gapped), open a page, evaluate expressions in
// it, record the requests it makes, take a screenshot. Without a Chromium the tests skip and say
// why — except in CI (env CI set), where a missing browser is a failure.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p)

export const chromiumPath = CANDIDATES.find((p) => existsSync(p))

/** `it` when a Chromium is installed; outside CI a skipped test that says why when none is. */
export function itWithChromium(title: string, fn: (this: Mocha.Context) => Promise<void>): void {
  if (chromiumPath || process.env.CI) it(title, fn)
  else it.skip(`${title} (skipped: no Chromium at ${CANDIDATES.join(', ')}; install the Debian package chromium or set CHROMIUM_PATH)`)
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void
  reject: (err: Error) => void
}

export interface BrowserPage {
  /** Evaluate an expression in the page and return its value (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>
  /** PNG bytes of the whole page. */
  screenshot(): Promise<Buffer>
  /** URLs the page requested, in order. */
  requests: string[]
}

export interface Browser {
  /** Open `url` in a new tab and wait for its load event; `javaScript: false` opens it with scripts disabled. */
  open(url: string, options?: { javaScript?: boolean; width?: number; height?: number }): Promise<BrowserPage>
  close(): Promise<void>
}

export async function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error(`no Chromium found at ${CANDIDATES.join(', ')}: install the Debian package chromium (CI installs it in .ci/run)`)
  const profile = mkdtempSync(join(tmpdir(), 'meshcert-chromium-'))
  const child: ChildProcess = spawn(
    chromiumPath,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const endpoint = await new Promise<string>((resolve, reject) => {
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`Chromium did not open its DevTools endpoint within 20 s:\n${stderr.slice(-2000)}`)), 20_000)
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Chromium exited (${code}) before opening DevTools:\n${stderr.slice(-2000)}`))
    })
  })
  child.stderr!.resume()
  const ws = new WebSocket(endpoint, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let nextId = 0
  const pending = new Map<number, Pending>()
  const listeners = new Set<(message: { method?: string; params?: Record<string, unknown>; sessionId?: string }) => void>()
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string }
    if (message.id !== undefined) {
      const p = pending.get(message.id)
      pending.delete(message.id)
      if (message.error) p?.reject(new Error(message.error.message))
      else p?.resolve(message.result ?? {})
      return
    }
    for (const listener of listeners) listener(message)
  })
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId
      pending.set(id, { resolve, reject })
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }))
    })

  return {
    async open(url, options = {}) {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string }
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string }
      const requests: string[] = []
      const loaded = new Promise<void>((resolve) => {
        const listener = (m: { method?: string; params?: Record<string, unknown>; sessionId?: string }) => {
          if (m.sessionId !== sessionId) return
          if (m.method === 'Network.requestWillBeSent') requests.push(String((m.params!.request as { url: string }).url))
          if (m.method === 'Page.loadEventFired') resolve()
        }
        listeners.add(listener)
      })
      await send('Page.enable', {}, sessionId)
      await send('Network.enable', {}, sessionId)
      await send('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1400, height: options.height ?? 1000, deviceScaleFactor: 1, mobile: false }, sessionId)
      if (options.javaScript === false) await send('Emulation.setScriptExecutionDisabled', { value: true }, sessionId)
      await send('Page.navigate', { url }, sessionId)
      await loaded
      return {
        requests,
        async evaluate<T>(expression: string): Promise<T> {
          // Evaluation runs in the DevTools' own world even when the page's scripts are disabled.
          const result = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }
          if (result.exceptionDetails) throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`)
          return result.result.value
        },
        async screenshot(): Promise<Buffer> {
          const { data } = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string }
          return Buffer.from(data, 'base64')
        },
      }
    },
    async close() {
      try {
        await Promise.race([send('Browser.close'), new Promise((r) => setTimeout(r, 2000))])
      } catch {
        // Already gone.
      }
      ws.terminate()
      if (child.exitCode === null) child.kill('SIGKILL')
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))
      // Helper processes (renderer, GPU) may still be flushing the profile after the browser exited,
      // longer on a loaded machine: retry for a while, and a profile they keep writing to is left in
      // the temp directory rather than failing a test that has already passed.
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 30, retryDelay: 100 })
      } catch {
        // Left behind under the OS temp directory.
      }
    },
  }
}
