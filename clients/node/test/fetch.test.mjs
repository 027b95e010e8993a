// inflightFetch against a fake provider on loopback (a node:http server in this test), with
// Java processes as independent witnesses. No test reaches the internet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Limiter, inflightFetch } from '../dist/index.js';
import { CLI, exited, freshHome, java, lines, makeClock, openDb, queued, statusJson, until } from './helpers.mjs';

/** A fake provider. /stream sends its first chunk at once and the rest when `release()` is
 * called; /429 answers 429 with retry-after 120; /spent answers 200 saying no request remains
 * for 30 s; /drop breaks the connection mid-body. */
async function fakeProvider() {
  const releases = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-ratelimit-remaining-requests': '99', 'x-ratelimit-reset-requests': '1s' });
      res.write('data: one\n\n');
      releases.push(() => {
        res.write('data: two\n\n');
        res.end('data: [DONE]\n\n');
      });
    } else if (req.url === '/429') {
      res.writeHead(429, { 'retry-after': '120', 'content-type': 'application/json' });
      res.end('{"error":{"type":"rate_limit"}}');
    } else if (req.url === '/spent') {
      res.writeHead(200, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '30s', 'x-ratelimit-remaining-tokens': 'lots' });
      res.end('{}');
    } else if (req.url === '/drop') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setImmediate(() => res.destroy());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    requests: () => releases.length,
    release: () => releases.shift()(),
    close: () => {
      server.closeAllConnections();
      if (server.listening) server.close();
    },
  };
}

function setup(limit = 1) {
  const home = freshHome();
  const db = openDb(home);
  db.run("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', ?)", limit);
  return { home, db, witness: path.join(path.dirname(home), 'witness') };
}

test('the lease is held until the streamed body ends: a Java process at limit 1 waits for it', async (t) => {
  const { home, db, witness } = setup(1);
  const provider = await fakeProvider();
  t.after(() => provider.close());
  const limiter = Limiter.open({ home });
  t.after(() => limiter.close());
  const f = inflightFetch(limiter, { provider: 'openai', label: 'streaming agent' });
  const res = await f(`${provider.base}/stream`, { method: 'POST', body: '{"model":"gpt-4o"}' });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /one/);
  // Headers arrived and the first chunk was read: the stream is still open, so the lease is held.
  const s = statusJson(home);
  assert.equal(s.leases.length, 1);
  assert.equal(s.leases[0].pid, process.pid);
  const javaWaiter = java(home, 'openai', 'java', witness);
  await until(() => queued(db, 'openai') === 1, 'the Java process to queue behind the stream');
  assert.deepEqual(lines(witness), []);
  provider.release();
  let text = first;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert.match(text, /\[DONE\]/);
  assert.equal(await exited(javaWaiter), 0);
  assert.deepEqual(lines(witness), ['+ java', '- java']);
  limiter.close();
  provider.close();
  db.close();
});

test('a 429 releases the lease as rate-limited and pauses the provider for every process', async (t) => {
  const { home, db } = setup(2);
  const provider = await fakeProvider();
  t.after(() => provider.close());
  const limiter = Limiter.open({ home });
  t.after(() => limiter.close());
  const f = inflightFetch(limiter, { provider: 'openai' });
  const res = await f(`${provider.base}/429`);
  assert.equal(res.status, 429);
  await res.text();
  assert.equal(db.value('SELECT count(*) FROM leases'), 0);
  const p = statusJson(home).providers.find((x) => x.provider === 'openai');
  assert.equal(p.paused_reason, '429 from the provider', JSON.stringify(p));
  assert.ok(p.paused_left_ms > 60_000, JSON.stringify(p));
  // The Java command, too, is refused while the pause lasts.
  const run = spawnSync(CLI, ['--home', home, 'run', '-q', '-p', 'openai', '-t', '0s', '--', 'true'], { env: { ...process.env, INFLIGHT_NO_BUILD: '1' } });
  assert.equal(run.status, 75, run.stderr?.toString());
  limiter.close();
  provider.close();
  db.close();
});

test("the provider's headers gate the next grants, in every process, until their reset", async (t) => {
  const { home, db } = setup(4);
  const provider = await fakeProvider();
  t.after(() => provider.close());
  const clock = makeClock();
  const limiter = Limiter.open({ home, clock });
  const debug = [];
  const other = Limiter.open({ home, clock, log: (level, m) => level === 'debug' && debug.push(m) });
  const f = inflightFetch(limiter, { provider: 'openai' });
  const res = await f(`${provider.base}/spent`);
  await res.text();
  const word = db.all("SELECT * FROM upstream_budget WHERE provider = 'openai'")[0];
  assert.equal(word.requests_remaining, 0);
  assert.equal(word.tokens_remaining, null, 'the malformed token count is ignored');
  assert.equal(other.tryAcquire('openai'), null);
  const run = spawnSync(CLI, ['--home', home, 'run', '-q', '-p', 'openai', '-t', '0s', '--', 'true'], { env: { ...process.env, INFLIGHT_NO_BUILD: '1' } });
  assert.equal(run.status, 75, 'a Java process is gated by the same word');
  // One debug line for the header it could not read.
  other.observe('openai', undefined, { 'x-ratelimit-remaining-tokens': 'lots' });
  assert.equal(debug.length, 1, debug.join('\n'));
  assert.match(debug[0], /x-ratelimit-remaining-tokens/);
  clock.advance(30_001);
  const lease = other.tryAcquire('openai');
  assert.ok(lease, 'granted once the reset has passed');
  lease.release();
  limiter.close();
  other.close();
  provider.close();
  db.close();
});

test('a cancelled or broken body gives the lease back', async (t) => {
  const { home, db } = setup(1);
  const provider = await fakeProvider();
  t.after(() => provider.close());
  const limiter = Limiter.open({ home });
  t.after(() => limiter.close());
  const f = inflightFetch(limiter, { provider: 'openai' });
  const res = await f(`${provider.base}/stream`);
  await until(() => provider.requests() === 1, 'the request to arrive');
  assert.equal(db.value('SELECT count(*) FROM leases'), 1);
  await res.body.cancel();
  assert.equal(db.value('SELECT count(*) FROM leases'), 0);
  const broken = await f(`${provider.base}/drop`);
  await assert.rejects(broken.text());
  assert.equal(db.value('SELECT count(*) FROM leases'), 0);
  // An aborted wait leaves the queue.
  const held = await limiter.acquire('openai');
  const ac = new AbortController();
  const waiting = f(`${provider.base}/stream`, { signal: ac.signal });
  await until(() => queued(db, 'openai') === 1, 'the fetch to queue');
  ac.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  assert.equal(queued(db, 'openai'), 0);
  held.release();
  limiter.close();
  provider.close();
  db.close();
});
