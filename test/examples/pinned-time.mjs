// Preloaded into an example's process by runExample({ at }): the wall clock starts at the pinned
// instant (TRADEWIRE_TEST_NOW) and runs on from there in real time. Timers are untouched. The
// examples use the real clock, as they must; this makes their market-hours decisions the same
// whenever the test runs.
const pinned = Date.parse(process.env.TRADEWIRE_TEST_NOW ?? '');
if (Number.isFinite(pinned)) {
  const RealDate = Date;
  const offset = pinned - RealDate.now();
  class PinnedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = PinnedDate;
}
