import { ManualClock } from 'tradewire';
import { MockBroker } from 'tradewire/testing';
import { describeBrokerAdapterConformance } from 'tradewire/testing/conformance';

// The mock broker is held to the same behaviour as every real adapter, with native lists on and off.
const harness = (capabilities: { nativeOco: boolean; nativeBracket: boolean }) => () => {
  const broker = new MockBroker({ clock: new ManualClock(0), capabilities });
  broker.setPrice('AAPL', '100');
  return { adapter: broker, symbol: 'AAPL', quantity: 10, price: '100', setPrice: (p: string | number | import('tradewire').Decimal) => broker.setPrice('AAPL', p) };
};

describeBrokerAdapterConformance('mock broker (native lists)', harness({ nativeOco: true, nativeBracket: true }), new MockBroker({ clock: new ManualClock(0), capabilities: { nativeOco: true, nativeBracket: true } }).capabilities);
describeBrokerAdapterConformance('mock broker (default capabilities)', harness({ nativeOco: false, nativeBracket: false }), new MockBroker({ clock: new ManualClock(0) }).capabilities);
