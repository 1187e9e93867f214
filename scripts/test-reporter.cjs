// Mocha reporter: the spec reporter's output, then one closing line `N passed, N failed, N skipped`
// that CI reads (mocha's own summary is not read).
const Mocha = require('mocha')
const { EVENT_RUN_END } = Mocha.Runner.constants

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats
      // Printed after the spec reporter's epilogue, which also listens for EVENT_RUN_END.
      process.nextTick(() => console.log(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`))
    })
  }
}
module.exports = SummaryReporter
