// Test helpers: a version-5 database made once per test file by the Java command, copied for
// each test; hand edits through better-sqlite3 or the real sqlite3; child processes; waits
// for conditions (never for time to pass).

import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..', '..');
export const CLI = process.env.INFLIGHT_CLI ?? path.join(ROOT, 'bin', 'inflight');
export const WORKER = path.join(HERE, 'worker.mjs');
export const DEADLINE_MS = 90_000;
const childEnv = { ...process.env, INFLIGHT_NO_BUILD: '1' };
delete childEnv.INFLIGHT_LEASE_TOKEN;

let template;
/** limiter.db as `inflight status` creates and migrates it (schema version 5). */
function templateHome() {
  if (!template) {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'inflight-node-template-'));
    execFileSync(CLI, ['--home', template, 'status'], { env: childEnv, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  }
  return template;
}

const made = [];
/** A fresh config root holding a copy of the template database. */
export function freshHome() {
  const t = templateHome();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inflight-node-'));
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
  for (const f of ['limiter.db', 'limiter.db.id']) fs.copyFileSync(path.join(t, f), path.join(home, f));
  made.push(dir);
  return home;
}

process.on('exit', () => {
  for (const d of [...made, template].filter(Boolean)) fs.rmSync(d, { recursive: true, force: true });
});

/** Hand edits and reads, as a person with a SQLite shell would make them. */
export function openDb(home) {
  const db = new Database(path.join(home, 'limiter.db'), { timeout: 5000 });
  return {
    run: (sql, ...a) => db.prepare(sql).run(...a),
    all: (sql, ...a) => db.prepare(sql).all(...a),
    value: (sql, ...a) => db.prepare(sql).pluck().get(...a),
    close: () => db.close(),
  };
}

export function sqlite3(home, sql) {
  execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(home, 'limiter.db'), sql], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** An injected wall clock in ms, starting at the real time (the triggers refuse times more
 * than a day ahead of it). */
export function makeClock() {
  let ms = Date.now();
  const clock = () => ms;
  clock.advance = (d) => (ms += d);
  return clock;
}

/** Waits for a condition, polling it; fails with `what` after the deadline. */
export async function until(condition, what, deadline = DEADLINE_MS) {
  const end = performance.now() + deadline;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5)); // waiting for a condition, not letting time pass
  }
}

export function lines(witness) {
  return fs.existsSync(witness) ? fs.readFileSync(witness, 'utf8').split('\n').filter(Boolean) : [];
}

/** Checks the witness file: never more than `limit` held at once, every label once. Returns
 * the labels in the order they started. */
export function checkWitness(witness, limit, labels) {
  const running = new Set();
  let most = 0;
  const started = [];
  for (const line of lines(witness)) {
    const [sign, label] = [line[0], line.slice(2)];
    if (sign === '+') {
      if (running.has(label)) throw new Error(`${label} started twice`);
      running.add(label);
      started.push(label);
      most = Math.max(most, running.size);
    } else if (sign === '-') running.delete(label);
  }
  if (most > limit) throw new Error(`${most} held at once under a limit of ${limit}: ${lines(witness).join(' | ')}`);
  if (running.size) throw new Error(`still running at the end: ${[...running]}`);
  if ([...started].sort().join() !== [...labels].sort().join()) throw new Error(`started ${started}, expected ${labels}`);
  return started;
}

/** `inflight run` holding a lease while a shell writes + and - to the witness. */
export function java(home, provider, label, witness, hold = '0.05', extra = []) {
  const script = `echo "+ ${label}" >> "$W"; sleep ${hold}; echo "- ${label}" >> "$W"`;
  return spawn(CLI, ['--home', home, 'run', '-q', '-p', provider, '-l', label, ...extra, '--', 'sh', '-c', script], {
    env: { ...childEnv, W: witness },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
}

/** A Node process that takes one lease (see worker.mjs). */
export function node(home, provider, label, witness, hold = '50', extraEnv = {}) {
  return spawn(process.execPath, [WORKER, home, provider, label, witness, hold], {
    env: { ...childEnv, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
}

export function exited(child) {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode);
    const t = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit`)), DEADLINE_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve(code ?? signal);
    });
  });
}

export async function finish(children) {
  for (const c of children) {
    const code = await exited(c);
    if (code !== 0) throw new Error(`pid ${c.pid} exited with ${code}`);
  }
}

export function statusJson(home) {
  return JSON.parse(execFileSync(CLI, ['--home', home, 'status', '--json'], { env: childEnv, encoding: 'utf8' }));
}

export function queued(db, provider) {
  return db.value('SELECT count(*) FROM queue WHERE provider = ?', provider);
}
