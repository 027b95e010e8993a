// A Node process that takes one lease and writes `+ LABEL` / `- LABEL` to a witness file
// (O_APPEND) around holding it. Usage: worker.mjs HOME PROVIDER LABEL WITNESS HOLD
// HOLD: milliseconds to hold (the workload), or `forever` (until killed).
import * as fs from 'node:fs';
import { Limiter } from '../dist/index.js';

const [home, provider, label, witness, hold = '50'] = process.argv.slice(2);
const write = (line) => fs.appendFileSync(witness, line + '\n', { mode: 0o600 });
const limiter = Limiter.open({ home });
await limiter.withLease(provider, { label, timeout: 120_000 }, async (lease) => {
  if (process.env.INFLIGHT_LEASE_TOKEN) write(`joined ${lease.joined} ${lease.id} ${process.env.INFLIGHT_LEASE_ID}`);
  write(`+ ${label}`);
  if (hold === 'forever') await new Promise(() => setInterval(() => {}, 1 << 30));
  await new Promise((r) => setTimeout(r, Number(hold)));
  write(`- ${label}`);
});
limiter.close();
