import { Session } from 'node:inspector/promises';
import fs from 'node:fs';
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
await import('./engine.bench.js');
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
fs.writeFileSync('/tmp/alloc.heapprofile', JSON.stringify(profile));
