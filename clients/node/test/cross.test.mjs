// Node and Java processes on one database. Each process writes `+ label` / `- label` to an
// independent witness file (O_APPEND) around holding its lease; the witness proves the limit
// and the serving order. Waits are for conditions, with generous deadlines; no duration is
// asserted (the reclaim and wake-up latencies are printed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Limiter } from '../dist/index.js';
import { checkWitness, exited, finish, freshHome, java, lines, node, openDb, queued, sqlite3, statusJson, until, CLI, WORKER } from './helpers.mjs';

function setup(limit = 1) {
  const home = freshHome();
  const db = openDb(home);
  db.run("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', ?)", limit);
  return { home, db, witness: path.join(path.dirname(home), 'witness') };
}

for (const limit of [1, 2]) {
  test(`Node and Java processes never exceed a limit of ${limit}`, async () => {
    const { home, db, witness } = setup(limit);
    const procs = [java(home, 'xl', 'java1', witness), java(home, 'xl', 'java2', witness)];
    for (let i = 0; i < 6; i++) procs.push(node(home, 'xl', `node${i}`, witness));
    await finish(procs);
    checkWitness(witness, limit, ['java1', 'java2', 'node0', 'node1', 'node2', 'node3', 'node4', 'node5']);
    assert.equal(db.value('SELECT count(*) FROM leases'), 0);
    db.close();
  });
}

test('Node and Java waiters are served first come, first served', async () => {
  const { home, db, witness } = setup(1);
  const blocker = Limiter.open({ home });
  const lease = await blocker.acquire('xl', { label: 'blocker' });
  const order = ['j1', 'n1', 'j2', 'n2', 'n3', 'j3'];
  const procs = [];
  for (const [i, label] of order.entries()) {
    procs.push(label[0] === 'j' ? java(home, 'xl', label, witness) : node(home, 'xl', label, witness));
    await until(() => queued(db, 'xl') === i + 1, `${label} to queue`);
  }
  lease.release();
  await finish(procs);
  assert.deepEqual(checkWitness(witness, 1, order), order);
  blocker.close();
  db.close();
});

test("a Node holder's lock file is a POSIX write lock under its pid, and a Java status never reclaims it by time", async () => {
  const { home, db } = setup(1);
  const lim = Limiter.open({ home, heartbeat: false });
  const lease = await lim.acquire('xl', { label: 'proof' });
  const lock = path.join(home, 'procs', `${lim.processId}.lock`);
  const st = fs.statSync(lock);
  const mine = fs
    .readFileSync('/proc/locks', 'ascii')
    .split('\n')
    .filter((l) => l.includes(`:${st.ino} `));
  assert.ok(
    mine.some((l) => /\bPOSIX\s+ADVISORY\s+WRITE\s+(\d+)\s/.exec(l)?.[1] === String(process.pid)),
    `no POSIX write lock of pid ${process.pid} on ${lock}: ${mine}`,
  );
  assert.equal((st.mode & 0o777).toString(8), '600');
  assert.equal((fs.statSync(path.join(home, 'procs')).mode & 0o777).toString(8), '700');
  // Its heartbeat "expired" long ago: a Java reclaim must renew it, not take its lease.
  db.run('UPDATE processes SET heartbeat_at_ms = heartbeat_at_ms - 100000, expires_at_ms = heartbeat_at_ms - 70000 WHERE id = ?', lim.processId);
  const s = statusJson(home);
  assert.equal(s.leases.length, 1, JSON.stringify(s));
  assert.ok(db.value('SELECT expires_at_ms FROM processes WHERE id = ?', lim.processId) > Date.now());
  lease.release();
  lim.close();
  assert.equal(fs.existsSync(lock), false);
  db.close();
});

test('kill -9 of a Node holder is reclaimed for a Java waiter', async () => {
  const { home, db, witness } = setup(1);
  const holder = node(home, 'xl', 'nodeholder', witness, 'forever');
  await until(() => lines(witness).includes('+ nodeholder'), 'the Node holder');
  const waiter = java(home, 'xl', 'javawaiter', witness);
  await until(() => queued(db, 'xl') === 1, 'the Java waiter to queue');
  const t0 = performance.now();
  process.kill(holder.pid, 'SIGKILL');
  let reclaimed = 0;
  await until(() => {
    if (!reclaimed && db.value('SELECT count(*) FROM processes WHERE pid = ?', holder.pid) === 0) reclaimed = performance.now() - t0;
    return lines(witness).includes('+ javawaiter');
  }, 'the Java waiter to be granted');
  console.log(
    `# kill -9 of a Node holder -> its row reclaimed in ${reclaimed.toFixed(1)} ms, the Java waiter's command started in ${(performance.now() - t0).toFixed(1)} ms`,
  );
  await finish([waiter]);
  await exited(holder);
  db.close();
});

test('kill -9 of a Java holder is reclaimed for a Node waiter', async () => {
  const { home, db, witness } = setup(1);
  const holder = java(home, 'xl', 'javaholder', witness, '600');
  await until(() => lines(witness).includes('+ javaholder'), 'the Java holder');
  const lim = Limiter.open({ home });
  const got = lim.acquire('xl', { label: 'nodewaiter' });
  await until(() => queued(db, 'xl') === 1, 'the Node waiter to queue');
  const t0 = performance.now();
  process.kill(-holder.pid, 'SIGKILL'); // the JVM and its shell
  const lease = await got;
  console.log(`# kill -9 of a Java holder -> Node waiter granted in ${(performance.now() - t0).toFixed(1)} ms`);
  lease.release();
  lim.close();
  await exited(holder);
  db.close();
});

test('a sqlite3 hand edit wakes a Node waiter', async () => {
  const { home, db } = setup(1);
  const a = Limiter.open({ home });
  const b = Limiter.open({ home });
  const held = await a.acquire('xl', { label: 'holder' });
  const events = [];
  b.on('queued', (e) => events.push(['queued', e.provider, e.label, e.position]));
  b.on('granted', (e) => events.push(['granted', e.lease.id]));
  const waiting = b.acquire('xl', { label: 'waiter' });
  await until(() => queued(db, 'xl') === 1, 'the waiter to queue');
  const t0 = performance.now();
  sqlite3(home, "UPDATE limits SET max_in_flight = 2 WHERE provider = 'xl'");
  const lease = await waiting;
  assert.deepEqual(events, [['queued', 'xl', 'waiter', 1], ['granted', lease.id]]);
  console.log(`# sqlite3 raised the limit -> Node waiter granted in ${(performance.now() - t0).toFixed(1)} ms (incl. the sqlite3 run)`);
  lease.release();
  held.release();
  a.close();
  b.close();
  db.close();
});

test('inflight status --json shows a Node holder with its pid, label and process name', async () => {
  const { home, db } = setup(2);
  const lim = Limiter.open({ home });
  const lease = await lim.acquire('xl', { label: 'node-agent planner' });
  const s = statusJson(home);
  const l = s.leases.find((x) => x.id === lease.id);
  assert.ok(l, JSON.stringify(s.leases));
  assert.equal(l.pid, process.pid);
  assert.equal(l.label, 'node-agent planner');
  const shown = JSON.stringify(l);
  assert.ok(shown.includes('"node"'), `process name node not in ${shown}`);
  lease.release();
  lim.close();
  db.close();
});

test('under inflight run, a Node request for the same provider joins the lease', async () => {
  const { home, db, witness } = setup(1);
  const nested = spawn(CLI, ['--home', home, 'run', '-q', '-p', 'xl', '-l', 'outer', '--', process.execPath, WORKER, home, 'xl', 'inner', witness, '0'], {
    env: { ...process.env, INFLIGHT_NO_BUILD: '1', INFLIGHT_LEASE_TOKEN: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await finish([nested]);
  const joined = lines(witness).find((l) => l.startsWith('joined '));
  assert.ok(joined, lines(witness).join(' | '));
  const [, flag, id, envId] = joined.split(' ');
  assert.equal(flag, 'true');
  assert.equal(id, envId);
  assert.equal(db.value('SELECT count(*) FROM leases'), 0);
  db.close();
});
