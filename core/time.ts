// RFC 3339 instants as meshcert prints them: UTC, `Z`, milliseconds only when there are some.
export function rfc3339(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z')
}
