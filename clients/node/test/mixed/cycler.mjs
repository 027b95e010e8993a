// A Node process for mixed.test.mjs: prints `ready` once its limiter is open, waits for a line
// on stdin, then takes COUNT leases one after another and, around each holding, appends
// `+ LABEL#i` / `- LABEL#i` to the witness (one write per line, O_APPEND).
// Usage: cycler.mjs HOME PROVIDER LABEL WITNESS COUNT
import * as fs from 'node:fs';
import { Limiter } from '../../dist/index.js';

const [home, provider, label, witness, count] = process.argv.slice(2);
const fd = fs.openSync(witness, 'a', 0o600);
const limiter = Limiter.open({ home });
console.log('ready');
await new Promise((r) => process.stdin.once('data', r)); // go
process.stdin.destroy();
try {
  for (let i = 0; i < Number(count); i++) {
    const name = `${label}#${i}`;
    const lease = await limiter.acquire(provider, { label: name, timeout: 120_000 });
    try {
      fs.writeSync(fd, `+ ${name}\n`);
      await new Promise((r) => setTimeout(r, Math.random() * 2)); // the simulated request
      fs.writeSync(fd, `- ${name}\n`);
    } finally {
      lease.release();
    }
  }
} finally {
  limiter.close();
  fs.closeSync(fd);
}
