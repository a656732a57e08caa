import { formatStreamEvents, runStreamEvents } from './stream-events.js';
const sizes = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
const rows = sizes.map((n) => runStreamEvents(n, Number(process.env.EVENTS ?? 2000)));
console.log(formatStreamEvents(rows));
