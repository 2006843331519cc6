/**
 * `tradewire/oanda` — building blocks of the OANDA v20 adapter: its capabilities, instrument
 * and unit conversion, and its error classification. The `OandaAdapter` class (REST and the
 * transaction stream over Node's fetch) is not released yet; see the CHANGELOG.
 */
export { OANDA_CAPABILITIES } from './capabilities.js';
export { type OandaErrorBody, oandaErrorFromResponse } from './errors.js';
export { fromOandaUnits, toOandaInstrument, toOandaUnits } from './instruments.js';
