// How one switch is looked up and turned into a reading: the mesh reads a label or an annotation
// by key; a key that is absent is no switch at all, and a value that is not a string (possible in
// a manifest, never in the API server) is something no mesh can read.
import type { SwitchFamily, SwitchReading, SwitchVerdict } from './types.js'

export type Place = 'labels' | 'annotations'

/** The labels and annotations of a pod, a pod template or a namespace (values as found). */
export interface Meta {
  labels: Record<string, unknown>
  annotations: Record<string, unknown>
}

export interface Switch {
  mesh: string
  family: SwitchFamily
  place: Place
  /** Where the mesh looks when the key is not in `place`. */
  fallback?: Place
  key: string
  /** The upstream code that reads it. */
  upstream: string
  /** What the mesh makes of a string value; nothing when it keeps the proxy and its capture. */
  read(value: string, meta: Meta): SwitchVerdict | SwitchVerdict[] | undefined
}

function pathOf(place: Place, key: string): string {
  return `${place}["${key}"]`
}

function readingOf(s: Switch, place: Place, value: unknown, verdict: SwitchVerdict): SwitchReading {
  return { mesh: s.mesh, family: s.family, part: 'metadata', path: pathOf(place, s.key), value, upstream: s.upstream, verdict }
}

/** Every reading of these switches in `meta`. */
export function readSwitches(switches: readonly Switch[], meta: Meta): SwitchReading[] {
  const out: SwitchReading[] = []
  for (const s of switches) {
    const place = Object.hasOwn(meta[s.place], s.key) ? s.place : s.fallback && Object.hasOwn(meta[s.fallback], s.key) ? s.fallback : undefined
    if (!place) continue
    const value = meta[place][s.key]
    if (typeof value !== 'string') {
      out.push(readingOf(s, place, value, { kind: 'unreadable', expected: 'a string', meaning: `${s.mesh} reads ${place} as strings only`, fix: `quote the value of ${s.key}` }))
      continue
    }
    const verdicts = s.read(value, meta)
    for (const verdict of verdicts === undefined ? [] : Array.isArray(verdicts) ? verdicts : [verdicts]) out.push(readingOf(s, place, value, verdict))
  }
  return out
}

/** A comma-separated list as the meshes split it (Go strings.Split: "" is one empty item). */
export function items(value: string): string[] {
  return value.split(',')
}

export function quoted(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ')
}
