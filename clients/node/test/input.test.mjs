// One process: argument checks (a TypeError or RangeError naming the parameter, the rule and
// the value, and nothing written), opening rules, header reading, and time-driven rules with an
// injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Limiter, SchemaError, DatabaseError, LeaseTimeoutError, resolveHome, readRateLimitHeaders } from '../dist/index.js';
import { freshHome, makeClock, openDb, queued } from './helpers.mjs';

function rows(db) {
  return db.value('SELECT (SELECT count(*) FROM processes) + (SELECT count(*) FROM leases) + (SELECT count(*) FROM queue)');
}

test('bad arguments name the parameter, the rule and the value, and write nothing', async () => {
  const home = freshHome();
  const db = openDb(home);
  db.run("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 2)");
  db.run("INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('xl', 'small', 1)");
  const lim = Limiter.open({ home });
  const cases = [
    [() => lim.acquire('xl', { weight: 0 }), RangeError, 'weight must be an integer from 1 to 10000 (was 0)'],
    [() => lim.acquire('xl', { weight: 2.5 }), RangeError, 'weight must be an integer from 1 to 10000 (was 2.5)'],
    [() => lim.acquire('xl', { weight: '2' }), TypeError, 'weight must be an integer from 1 to 10000 (was "2")'],
    [() => lim.acquire('', {}), RangeError, 'provider must be 1 to 200 characters (was 0: "")'],
    [() => lim.acquire(42), TypeError, 'provider must be a string (was 42)'],
    [() => lim.acquire('xl', { label: 'a\nb' }), RangeError, 'label must not hold control characters'],
    [() => lim.acquire('xl', { priority: 'urgent' }), RangeError, 'priority must be one of interactive, normal, batch (was "urgent")'],
    [() => lim.acquire('xl', { tokens: -1 }), RangeError, 'tokens must be an integer from 0 to 100000000 (was -1)'],
    [() => lim.acquire('xl', { timeout: -5 }), RangeError, 'timeout must be a number of milliseconds'],
    [() => lim.acquire('xl', { signal: 'stop' }), TypeError, 'signal must be an AbortSignal'],
    [() => lim.acquire('xl', { model: 'xl/small' }), RangeError, "model must be the model's own name"],
    [() => lim.acquire('xl', { wieght: 2 }), TypeError, 'options has no option "wieght"'],
    [() => lim.acquire('xl', { weight: 3 }), RangeError, 'weight must be at most the in-flight limit of xl (2), or the request for xl could never be granted (was 3)'],
    [() => lim.acquire('xl/small', { weight: 2 }), RangeError, 'weight must be at most the in-flight limit of xl/small (1)'],
  ];
  for (const [call, type, text] of cases) {
    await assert.rejects(call, (e) => e instanceof type && e.message.includes(text), text);
  }
  assert.throws(() => lim.tryAcquire('xl', { weight: 0 }), RangeError);
  assert.equal(queued(db, 'xl'), 0);
  assert.equal(db.value('SELECT count(*) FROM leases'), 0);
  const lease = lim.tryAcquire('xl');
  assert.throws(() => lease.release('ok'), { name: 'RangeError', message: 'outcome must be one of succeeded, rate_limited, failed, cancelled (was "ok")' });
  assert.throws(() => lease.release('succeeded', { usedTokens: -1 }), RangeError);
  assert.equal(lease.released, false);
  assert.equal(lease.release(), true);
  assert.equal(lease.release(), false, 'a second release does nothing');
  assert.throws(() => Limiter.open({ hme: home }), { name: 'TypeError', message: /options has no option "hme"/ });
  lim.close();
  assert.equal(rows(db), 0, 'close deregisters');
  db.close();
});

test('a database of another schema version is refused, naming the file and the version, and nothing is written', () => {
  const home = freshHome();
  const db = openDb(home);
  db.run('PRAGMA user_version = 6');
  const before = fs.statSync(path.join(home, 'limiter.db')).mtimeMs;
  assert.throws(
    () => Limiter.open({ home }),
    (e) => e instanceof SchemaError && e instanceof DatabaseError && e.version === 6 && e.file === path.join(home, 'limiter.db') && /has schema version 6, newer than/.test(e.message),
  );
  assert.equal(fs.statSync(path.join(home, 'limiter.db')).mtimeMs, before);
  db.close();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'inflight-node-empty-'));
  assert.throws(() => Limiter.open({ home: empty }), (e) => e instanceof SchemaError && e.version === 0 && /does not exist/.test(e.message));
  fs.rmSync(empty, { recursive: true });
});

test('a PostgreSQL database URL is refused rather than kept apart from it, its password masked', () => {
  const home = freshHome();
  const saved = process.env.INFLIGHT_DATABASE_URL;
  process.env.INFLIGHT_DATABASE_URL = 'postgresql://me:hunter2@db.example.com/team';
  try {
    assert.throws(
      () => Limiter.open({ home }),
      (e) => e instanceof DatabaseError && /postgresql:\/\/me:\*\*\*@db\.example\.com\/team/.test(e.message) && /speaks only the SQLite engine/.test(e.message) && !/hunter2/.test(e.message),
    );
  } finally {
    if (saved === undefined) delete process.env.INFLIGHT_DATABASE_URL;
    else process.env.INFLIGHT_DATABASE_URL = saved;
  }
});

test('the config root is found as the Java client finds it', () => {
  const saved = { ...process.env };
  try {
    assert.equal(resolveHome('/x/y'), '/x/y');
    process.env.INFLIGHT_HOME = 'rel';
    assert.equal(resolveHome(), path.resolve('rel'));
    process.env.INFLIGHT_HOME = '';
    process.env.XDG_CONFIG_HOME = '/cfg';
    assert.equal(resolveHome(), '/cfg/inflight');
    process.env.XDG_CONFIG_HOME = 'relative';
    assert.equal(resolveHome(), path.join(os.homedir(), '.config', 'inflight'));
  } finally {
    process.env = saved;
  }
});

test("rate-limit headers are read as the Java client reads them; others are ignored with one debug line each", () => {
  const now = Date.parse('2026-12-01T20:00:00Z');
  const debug = [];
  const o = readRateLimitHeaders(
    { 'X-RateLimit-Remaining-Requests': '59', 'x-ratelimit-reset-requests': '1m0.5s', 'x-ratelimit-remaining-tokens': '1000', 'x-ratelimit-reset-tokens': '20ms' },
    now,
    (m) => debug.push(m),
  );
  assert.deepEqual(o, { requestsRemaining: 59, requestsResetAfterMs: 60_500, tokensRemaining: 1000, tokensResetAfterMs: 20, retryAfterMs: -1 });
  const a = readRateLimitHeaders(
    new Headers({
      'anthropic-ratelimit-requests-remaining': '4',
      'anthropic-ratelimit-requests-reset': '2026-12-01T20:00:30Z',
      'anthropic-ratelimit-input-tokens-remaining': '900',
      'anthropic-ratelimit-input-tokens-reset': '2026-12-01T20:00:10Z',
      'anthropic-ratelimit-output-tokens-remaining': '300',
      'anthropic-ratelimit-output-tokens-reset': '2026-12-01T20:00:05Z',
      'retry-after': 'Tue, 01 Dec 2026 20:01:00 GMT',
    }),
    now,
    (m) => debug.push(m),
  );
  assert.deepEqual(a, { requestsRemaining: 4, requestsResetAfterMs: 30_000, tokensRemaining: 300, tokensResetAfterMs: 5000, retryAfterMs: 60_000 });
  assert.equal(debug.length, 0);
  const bad = readRateLimitHeaders({ 'x-ratelimit-remaining-requests': '-1', 'retry-after': 'soon', 'x-ratelimit-remaining-tokens': '5', 'x-ratelimit-reset-tokens': '5 s' }, now, (m) => debug.push(m));
  assert.equal(bad.requestsRemaining, -1);
  assert.equal(bad.retryAfterMs, -1);
  assert.equal(bad.tokensRemaining, 5);
  assert.equal(bad.tokensResetAfterMs, 0);
  assert.equal(debug.length, 3, debug.join('\n'));
});

test('a cooldown and a 429 pause end by the injected clock, and a timeout names the state', async () => {
  const home = freshHome();
  const db = openDb(home);
  db.run("INSERT INTO limits (provider, max_in_flight, cooldown_ms) VALUES ('xl', 1, 5000)");
  const clock = makeClock();
  const lim = Limiter.open({ home, clock, heartbeat: false });
  lim.tryAcquire('xl').release();
  assert.equal(lim.tryAcquire('xl'), null, 'cooling');
  clock.advance(5000);
  const lease = lim.tryAcquire('xl');
  assert.ok(lease, 'the cooldown ended');
  lease.release('rate_limited', { retryAfter: 60_000 });
  clock.advance(10_000);
  assert.equal(lim.tryAcquire('xl'), null, 'paused by the 429 (and cooling)');
  await assert.rejects(lim.acquire('xl', { timeout: 0 }), (e) => e instanceof LeaseTimeoutError && /no lease for 'xl' after 0 ms \(limit=1, .*paused=true\)/.test(e.message));
  assert.equal(queued(db, 'xl'), 0, 'the timed-out request left the queue');
  clock.advance(50_001);
  assert.ok(lim.tryAcquire('xl'), 'the pause ended');
  lim.close();
  db.close();
});

test('a token budget is reserved at the grant, corrected at the release and freed after 60 s, with its totals kept', () => {
  const home = freshHome();
  const db = openDb(home);
  db.run("INSERT INTO limits (provider, max_in_flight, tokens_per_minute) VALUES ('tb', 4, 3000)");
  db.run("INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('tb', 'm1', 4)");
  const clock = makeClock();
  const lim = Limiter.open({ home, clock, heartbeat: false });
  const totals = () => db.all("SELECT model, requests, tokens FROM ledger_totals WHERE provider = 'tb' ORDER BY model");
  const first = lim.tryAcquire('tb/m1', { tokens: 2000 });
  assert.ok(first, 'granted: 2000 of 3000');
  assert.equal(lim.tryAcquire('tb', { tokens: 1500 }), null, '2000 + 1500 is over the budget');
  first.release('succeeded', { usedTokens: 700 });
  assert.deepEqual(db.all("SELECT model, tokens FROM ledger WHERE provider = 'tb'"), [{ model: 'm1', tokens: 700 }]);
  const second = lim.tryAcquire('tb', { tokens: 1500 });
  assert.ok(second, 'granted once the correction freed 1300');
  second.release();
  assert.deepEqual(totals(), [{ model: '', requests: 2, tokens: 2200 }, { model: 'm1', requests: 1, tokens: 700 }]);
  assert.equal(db.value("SELECT count(*) FROM ledger_rows WHERE provider = 'tb'"), 4, 'two rows and two totals rows, in one table');
  assert.equal(lim.tryAcquire('tb', { tokens: 1000 }), null, '2200 + 1000 is over the budget');
  clock.advance(60_001);
  const third = lim.tryAcquire('tb', { tokens: 3000 });
  assert.ok(third, 'the window freed everything');
  third.release();
  assert.deepEqual(db.all("SELECT tokens FROM ledger WHERE provider = 'tb'"), [{ tokens: 3000 }], 'the old rows were deleted');
  assert.deepEqual(totals(), [{ model: '', requests: 1, tokens: 3000 }, { model: 'm1', requests: 0, tokens: 0 }]);
  lim.close();
  db.close();
});

test("a second Limiter closed in this process leaves the first its WAL when another process closes", async () => {
  // It once lost it: the second's open read the file's header through a descriptor of its own,
  // and closing that dropped every POSIX lock of this process on the file, SQLite's included.
  const home = freshHome();
  const db = path.join(home, 'limiter.db');
  const first = Limiter.open({ home, heartbeat: false });
  try {
    first.tryAcquire('openai').release();
    const walBefore = fs.statSync(`${db}-wal`).ino;
    Limiter.open({ home, heartbeat: false }).close();
    execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, 'SELECT count(*) FROM limits'], { stdio: 'ignore' });
    assert.ok(fs.existsSync(`${db}-wal`) && fs.existsSync(`${db}-shm`), "another process's last close deleted the WAL this process still uses");
    assert.equal(fs.statSync(`${db}-wal`).ino, walBefore);
  } finally {
    first.close();
  }
});
