// Wait for a condition instead of a fixed time: tests stay fast when things are fast and fail with
// what they were waiting for when they are not.
export async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${limitMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
