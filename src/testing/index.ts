/**
 * `tradewire/testing` — test doubles that ship with the package, so a bot can be unit-tested
 * against the same simulated broker tradewire's own tests use.
 *
 * @module tradewire/testing
 */
export { ManualClock, sequentialIds, settle } from 'tradewire';
export { MockBroker, type MockBar, type MockBrokerOptions, type MockCommission, type MockRequest } from './mock-broker.js';
export { type MockBrokerMethod, type MockFault, type MockFaultRates } from './faults.js';
export { seededRandom } from './seeded-random.js';
export { CONFORMANCE_CASES, type ConformanceCase, type ConformanceCaseId } from './conformance-cases.js';
export { type BacktestBar, type BacktestContext, type BacktestOptions, type BacktestPricedBar, type BacktestResult, type BacktestSignal, type BacktestStrategy, parseBars, runBacktest } from './backtest.js';
