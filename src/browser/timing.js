// One Resource Timing entry read in one call (`timing.rs`, `to_timing`). Read property by
// property from WebAssembly, an entry cost about 75 crossings (each key passed in, each
// value checked and passed out): ~0.13 ms per entry, 4.6 ms of a run's first 40 ms on the
// thread the fetches share.
//
// Returns [name, initiatorType, nextHopProtocol, deliveryType, numbers, serverTiming]:
// strings where the entry has them (else undefined); the numbers in NUMBERS' order as a
// Float64Array (NaN where the browser has no such field), exact, as the attributes are;
// Server-Timing as a flat list of name, duration, description.

const NUMBERS = [
  'startTime', 'duration', 'redirectStart', 'redirectEnd', 'fetchStart', 'domainLookupStart',
  'domainLookupEnd', 'connectStart', 'connectEnd', 'secureConnectionStart', 'requestStart',
  'responseStart', 'responseEnd', 'transferSize', 'encodedBodySize', 'decodedBodySize',
  'responseStatus',
];

const text = (v) => (typeof v === 'string' ? v : undefined);

export function readEntry(e) {
  const numbers = new Float64Array(NUMBERS.length);
  for (let i = 0; i < NUMBERS.length; i++) {
    const v = e[NUMBERS[i]];
    numbers[i] = typeof v === 'number' ? v : NaN;
  }
  const serverTiming = [];
  for (const s of e.serverTiming || []) {
    serverTiming.push(text(s.name), typeof s.duration === 'number' ? s.duration : NaN, text(s.description));
  }
  return [text(e.name), text(e.initiatorType), text(e.nextHopProtocol), text(e.deliveryType), numbers, serverTiming];
}
