// Java, Python and Node processes together on one database: the three clients must keep one
// limit, one queue order, reclaim each other's dead and wake on each other's (and a person's)
// commits. The Java side is `bin/inflight run` (one lease around a shell command) and, for the
// long run, Cycler.java on the library; the Python side is the Python client's own test worker
// and mixed/cycler.py; the Node side worker.mjs and mixed/cycler.mjs. Every process writes
// `+ label` / `- label` to an independent witness file (O_APPEND) around holding its lease.
// Waits are for conditions (witness lines, the queue, `status --json`) with a deadline; no
// duration is asserted, the reclaim and wake-up latencies are printed.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Limiter } from '../dist/index.js';
import { exited, finish, freshHome, java, lines, node, openDb, sqlite3, statusJson, until, HERE, ROOT } from './helpers.mjs';

// Debian's python3 is the one the Python suite runs on (clients/python/pom.xml); the worker
// itself needs only the standard library.
const PYTHON = process.env.INFLIGHT_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const PY_CLIENT = path.join(ROOT, 'clients', 'python');
const PY_WORKER = path.join(PY_CLIENT, 'tests', 'worker.py');
// Cycler.java runs from source, so this must be a JDK's java (the pom passes Maven's own).
const JAVA =
  process.env.INFLIGHT_JAVA ??
  (process.env.JAVA_HOME && fs.existsSync(path.join(process.env.JAVA_HOME, 'bin', 'java')) ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
const CLI_JAR = path.join(ROOT, 'limiter-cli', 'target', 'limiter-cli.jar');
const env = { ...process.env, INFLIGHT_NO_BUILD: '1' };
delete env.INFLIGHT_LEASE_TOKEN;

const LANGS = ['java', 'python', 'node'];

// A failed assertion must not leave a holder that holds forever behind (it would keep this file
// from ending): every process started here is killed, with its group, once the tests are done.
const children = new Set();
function track(child) {
  children.add(child);
  return child;
}
after(() => {
  for (const c of children) killGroup(c);
});

function setup(limits) {
  const home = freshHome();
  const db = openDb(home);
  for (const [provider, limit] of Object.entries(limits)) db.run('INSERT INTO limits (provider, max_in_flight) VALUES (?, ?)', provider, limit);
  return { home, db, witness: path.join(path.dirname(home), 'witness') };
}

function python(home, provider, label, witness, hold = '0.05') {
  return track(
    spawn(PYTHON, [PY_WORKER, home, provider, label, witness, 'normal', hold], {
      env: { ...env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    }),
  );
}

/** One process of `lang` taking one lease: held for a short workload, or until killed. */
function one(lang, home, provider, label, witness, forever = false) {
  if (lang === 'java') return track(java(home, provider, label, witness, forever ? '600' : '0.05'));
  if (lang === 'python') return python(home, provider, label, witness, forever ? 'forever' : '0.05');
  return track(node(home, provider, label, witness, forever ? 'forever' : '50'));
}

/** Kills what a holder left behind: for `inflight run`, the shell and its `sleep`. */
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (e) {
    if (e.code !== 'ESRCH') throw e;
  }
}

function queuedLabels(db, provider) {
  return db.all('SELECT label FROM queue WHERE provider = ? ORDER BY ticket', provider).map((r) => r.label);
}

const cap = (s) => s[0].toUpperCase() + s.slice(1);

// ---------------------------------------------------------------- 1. the limit, with a witness

/** A cycling process of `lang`: prints `ready` once its limiter is open, starts on a line on stdin. */
function cycler(lang, home, provider, label, witness, count) {
  const args = {
    java: [JAVA, ['-XX:TieredStopAtLevel=1', '-cp', CLI_JAR, path.join(HERE, 'mixed', 'Cycler.java'), home, provider, label, witness, String(count)]],
    python: [PYTHON, [path.join(HERE, 'mixed', 'cycler.py'), PY_CLIENT, home, provider, label, witness, String(count)]],
    node: [process.execPath, [path.join(HERE, 'mixed', 'cycler.mjs'), home, provider, label, witness, String(count)]],
  }[lang];
  const child = track(spawn(args[0], args[1], { env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['pipe', 'pipe', 'inherit'], detached: true }));
  child.ready = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => {
    if (s.includes('ready')) child.ready = true;
  });
  return child;
}

/** Replays a witness: grants, the most held at once, every moment more than `limit` were held,
 * grants per language, and how often two languages held at once. */
function replay(witness, limit) {
  const held = new Set();
  const r = { grants: 0, most: 0, violations: [], perLang: { java: 0, python: 0, node: 0 }, mixedPairs: 0 };
  for (const line of lines(witness)) {
    const [sign, name] = [line[0], line.slice(2)];
    if (sign === '+') {
      if (held.has(name)) throw new Error(`${name} granted twice`);
      held.add(name);
      r.grants++;
      r.perLang[name.replace(/\d*#.*$/, '')]++;
      r.most = Math.max(r.most, held.size);
      if (held.size > limit) r.violations.push(`${[...held]}`);
      if (new Set([...held].map((n) => n.replace(/\d*#.*$/, ''))).size > 1) r.mixedPairs++;
    } else if (sign === '-') {
      if (!held.delete(name)) throw new Error(`${name} released but not held`);
    }
  }
  if (held.size) throw new Error(`still held at the end: ${[...held]}`);
  return r;
}

test('Java, Python and Node processes cycling at a limit of 2 never hold more than 2', async () => {
  const { home, db, witness } = setup({ mix: 2 });
  const count = 90;
  const procs = [];
  for (const lang of LANGS) for (const n of [1, 2]) procs.push(cycler(lang, home, 'mix', `${lang}${n}`, witness, count));
  // All six contend together: none starts before every one has its limiter open.
  await until(() => procs.every((p) => p.ready || p.exitCode !== null), 'every cycler to be ready');
  assert.ok(procs.every((p) => p.ready), 'a cycler exited before it was ready');
  for (const p of procs) p.stdin.end('go\n');
  await finish(procs);
  const r = replay(witness, 2);
  console.log(
    `# ${r.violations.length} violations over ${r.grants} grants at a limit of 2 (most held at once: ${r.most}; ` +
      `Java ${r.perLang.java}, Python ${r.perLang.python}, Node ${r.perLang.node}; ${r.mixedPairs} grants made while a process of another language held)`,
  );
  assert.deepEqual(r.violations, []);
  assert.ok(r.grants >= 500, `only ${r.grants} grants`);
  assert.deepEqual(r.perLang, { java: 2 * count, python: 2 * count, node: 2 * count });
  assert.equal(db.value("SELECT count(*) FROM leases WHERE provider = 'mix'"), 0);
  assert.equal(db.value('SELECT count(*) FROM processes'), 0);
  db.close();
});

// ---------------------------------------------------------------- 2. one queue, first come first served

test('Java, Python and Node waiters are served in the order they arrived', async () => {
  const { home, db, witness } = setup({ xl: 1 });
  const holder = Limiter.open({ home });
  const lease = await holder.acquire('xl', { label: 'holder' });
  // Every ordered pair of languages follows each other once: j p n j n p.
  const order = [['java', 'j1'], ['python', 'p1'], ['node', 'n1'], ['java', 'j2'], ['node', 'n2'], ['python', 'p2']];
  const procs = [];
  for (const [i, [lang, label]] of order.entries()) {
    procs.push(one(lang, home, 'xl', label, witness));
    // Queued as Java sees it, behind everyone before it, before the next one starts.
    let seen;
    await until(() => {
      seen = statusJson(home).waiters.sort((a, b) => a.position - b.position).map((w) => w.label);
      return seen.length === i + 1;
    }, `${label} to queue`);
    assert.deepEqual(seen, order.slice(0, i + 1).map(([, l]) => l));
  }
  assert.deepEqual(lines(witness), []);
  lease.release();
  await finish(procs);
  const started = lines(witness).filter((l) => l[0] === '+').map((l) => l.slice(2));
  assert.deepEqual(started, order.map(([, l]) => l));
  assert.equal(replay(witness, 1).most, 1);
  holder.close();
  db.close();
});

// ---------------------------------------------------------------- 3. kill -9, reclaimed across languages

for (const dead of LANGS) {
  for (const waiting of LANGS.filter((l) => l !== dead)) {
    test(`kill -9 of a ${cap(dead)} holder is reclaimed for a ${cap(waiting)} waiter`, async () => {
      const { home, db, witness } = setup({ xl: 1 });
      const holder = one(dead, home, 'xl', 'holder', witness, true);
      await until(() => lines(witness).includes('+ holder'), `the ${dead} holder`);
      const waiter = one(waiting, home, 'xl', 'waiter', witness);
      await until(() => queuedLabels(db, 'xl').includes('waiter'), `the ${waiting} waiter to queue`);
      assert.deepEqual(lines(witness), ['+ holder']);
      const t0 = performance.now();
      process.kill(holder.pid, 'SIGKILL'); // the holding process alone (for `run`, the JVM)
      let granted = 0;
      await until(() => {
        if (!granted && db.value("SELECT count(*) FROM leases WHERE label = 'waiter'") === 1) granted = performance.now() - t0;
        return lines(witness).includes('+ waiter');
      }, `the ${waiting} waiter to be granted`);
      const started = performance.now() - t0;
      console.log(
        `# kill -9 of a ${cap(dead)} holder -> ${cap(waiting)} waiter granted in ${(granted || started).toFixed(1)} ms (its work started at ${started.toFixed(1)} ms)`,
      );
      assert.equal(await exited(holder), 'SIGKILL');
      await finish([waiter]);
      killGroup(holder);
      assert.deepEqual(lines(witness), ['+ holder', '+ waiter', '- waiter']);
      assert.equal(db.value('SELECT count(*) FROM processes WHERE pid = ?', holder.pid), 0);
      assert.equal(db.value('SELECT count(*) FROM leases'), 0);
      db.close();
    });
  }
}

// ---------------------------------------------------------------- 4. a person's edit wakes everyone

test('a sqlite3 hand edit raising the limits wakes a Java, a Python and a Node waiter', async () => {
  const providers = { java: 'wj', python: 'wp', node: 'wn' };
  const { home, db, witness } = setup({ wj: 1, wp: 1, wn: 1 });
  const holder = Limiter.open({ home });
  const held = [];
  for (const p of Object.values(providers)) held.push(await holder.acquire(p, { label: 'holder' }));
  const procs = LANGS.map((lang) => one(lang, home, providers[lang], `${lang}-waiter`, witness));
  for (const lang of LANGS) await until(() => queuedLabels(db, providers[lang]).length === 1, `the ${lang} waiter to queue`);
  assert.deepEqual(lines(witness), []);
  const t0 = performance.now();
  sqlite3(home, "UPDATE limits SET max_in_flight = 2 WHERE provider IN ('wj', 'wp', 'wn')");
  const edited = performance.now() - t0;
  const woke = {};
  await until(() => {
    const now = lines(witness);
    for (const lang of LANGS) if (!woke[lang] && now.includes(`+ ${lang}-waiter`)) woke[lang] = performance.now() - t0;
    return LANGS.every((l) => woke[l]);
  }, 'every waiter to be woken');
  console.log(
    `# sqlite3 raised three limits (the sqlite3 run took ${edited.toFixed(1)} ms) -> granted and started: ` +
      LANGS.map((l) => `${cap(l)} ${woke[l].toFixed(1)} ms`).join(', '),
  );
  await finish(procs);
  for (const l of held) l.release();
  holder.close();
  assert.equal(db.value('SELECT count(*) FROM leases'), 0);
  db.close();
});

// ---------------------------------------------------------------- 5. Java's view of the others

test('inflight status --json shows a Python holder and a Node holder with pid, label and process name', async () => {
  const { home, db, witness } = setup({ xl: 2 });
  const py = python(home, 'xl', 'py-agent planner', witness, 'forever');
  const nd = track(node(home, 'xl', 'node-agent planner', witness, 'forever'));
  await until(() => lines(witness).includes('+ py-agent planner') && lines(witness).includes('+ node-agent planner'), 'both holders');
  const s = statusJson(home);
  for (const [child, label] of [[py, 'py-agent planner'], [nd, 'node-agent planner']]) {
    const shown = s.leases.filter((l) => l.label === label);
    assert.equal(shown.length, 1, JSON.stringify(s.leases));
    assert.equal(shown[0].pid, child.pid);
    // The name the kernel gives the executable, read here, not taken from the client.
    const exe = path.basename(fs.readlinkSync(`/proc/${child.pid}/exe`));
    assert.equal(shown[0].process, exe, JSON.stringify(shown[0]));
  }
  for (const c of [py, nd]) process.kill(c.pid, 'SIGKILL');
  for (const c of [py, nd]) await exited(c);
  db.close();
});
