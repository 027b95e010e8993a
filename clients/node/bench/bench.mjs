// The Node client's figures, one "name value unit" line each on stdout (progress on stderr).
//   node bench/bench.mjs local HOME      uncontended acquire+release; idle CPU of 100 waiters
//   node bench/bench.mjs waiter HOME P   a waiter driven over stdin by benchmarks' NodeFigures:
//                                        "go" -> queue for P, print "queued", then "granted NS"
//                                        (process.hrtime, CLOCK_MONOTONIC like Java's nanoTime)
// HOME must hold a version-4 database (any `inflight` command creates one). bin/bench runs both
// through its `node` figure, beside the Java figures of the same run.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Limiter } from '../dist/index.js';

const [mode, home, provider] = process.argv.slice(2);
const line = (name, value, unit) => console.log(`${name} ${Number(value.toPrecision(4))} ${unit}`);
const quantile = (v, q) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

if (mode === 'local') {
  const limiter = Limiter.open({ home });
  const lim = Limiter.open({ home });
  limiter.tryAcquire('node_bench_warm').release();
  // Uncontended: tryAcquire + release of an unlimited provider, one transaction each.
  const n = 3000;
  const us = new Array(n);
  for (let i = 0; i < 300; i++) lim.tryAcquire('node_cycle').release();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    lim.tryAcquire('node_cycle').release();
    us[i] = (performance.now() - s) * 1000;
  }
  const total = performance.now() - t0;
  line('node_cycle_p50_us', quantile(us, 0.5), 'us');
  line('node_cycle_p99_us', quantile(us, 0.99), 'us');
  line('node_cycles_per_s', n / (total / 1000), '1/s');
  // Idle: 100 requests queued in one Node process behind a slot this process holds (another
  // registration), CPU of that process over 10 s.
  const holder = Limiter.open({ home });
  const db = await import('better-sqlite3');
  const raw = new db.default(limiter.file, { timeout: 5000 });
  raw.prepare("INSERT INTO limits (provider, max_in_flight) VALUES ('node_idle', 1) ON CONFLICT (provider) DO UPDATE SET max_in_flight = 1").run();
  raw.close();
  const held = holder.tryAcquire('node_idle');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'idle-waiters', home], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.on('exit', r));
  process.stdout.write(out);
  held.release();
  holder.close();
  lim.close();
  limiter.close();
} else if (mode === 'idle-waiters') {
  const limiter = Limiter.open({ home });
  const waits = [];
  for (let i = 0; i < 100; i++) waits.push(limiter.acquire('node_idle', { label: `idle ${i}` }).catch(() => {}));
  await new Promise((r) => setTimeout(r, 2000)); // settle in
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000)); // the measured idle period
  const c = process.cpuUsage(c0);
  const wall = performance.now() - w0;
  line('node_idle_100_waiters_cpu', ((c.user + c.system) / 1000 / wall) * 100, '%');
  limiter.close();
  process.exit(0);
} else if (mode === 'waiter') {
  const limiter = Limiter.open({ home });
  const rl = createInterface({ input: process.stdin });
  console.log('ready');
  for await (const cmd of rl) {
    if (cmd === 'quit') break;
    if (cmd !== 'go') continue;
    limiter.once('queued', () => console.log('queued'));
    const lease = await limiter.acquire(provider, { label: 'node waiter' });
    const t = process.hrtime.bigint();
    console.log(`granted ${t}`);
    lease.release();
  }
  limiter.close();
} else {
  console.error('usage: bench.mjs local HOME | waiter HOME PROVIDER');
  process.exit(2);
}
