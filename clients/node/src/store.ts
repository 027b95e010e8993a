// The building blocks of the lease protocol (migrations/README.md, "Transactions" and
// "Version 4"): state(p), the admission walk, promote, settle, free_process. Only this module
// and limiter.ts run SQL, and all of it comes from sql.ts.

import type BetterSqlite3 from 'better-sqlite3';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as S from './sql.js';
import { alive, holdsWriteLock, printable } from './identity.js';

export const INF = 2 ** 31 - 1; // unlimited free units
export const PRIORITIES = ['interactive', 'normal', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

type Db = BetterSqlite3.Database;
type Stmt = BetterSqlite3.Statement;

/** One transaction on a connection: `now` read once, after the write lock. */
export class Tx {
  /** (owner, token, lease id, acquired at): what this transaction granted, for wake-ups. */
  readonly grants: Array<[number, string, number, number]> = [];
  constructor(
    private readonly cache: StatementCache,
    readonly now: number,
  ) {}
  one<T = any>(sql: string, ...args: unknown[]): T | undefined {
    const [s, a] = this.cache.bind(sql, args);
    return s.get(a) as T | undefined;
  }
  all<T = any>(sql: string, ...args: unknown[]): T[] {
    const [s, a] = this.cache.bind(sql, args);
    return s.all(a) as T[];
  }
  run(sql: string, ...args: unknown[]): number {
    const [s, a] = this.cache.bind(sql, args);
    return s.run(a).changes;
  }
}

/** Prepared statements, reused (preparing costs several times a reused run). */
export class StatementCache {
  private readonly map = new Map<string, [Stmt, boolean]>();
  constructor(readonly db: Db) {}
  bind(sql: string, args: unknown[]): [Stmt, any] {
    let e = this.map.get(sql);
    if (!e) {
      e = [this.db.prepare(sql), /\?\d/.test(sql)];
      this.map.set(sql, e);
    }
    const values = args.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
    if (e[1]) {
      const named: Record<number, unknown> = {};
      values.forEach((v, i) => (named[i + 1] = v));
      return [e[0], named];
    }
    return [e[0], values];
  }
}

export interface Budget {
  rpm: number;
  tpm: number;
  requests: number;
  tokens: number;
}
/** What the provider said remains at a level; -1: no count in force. */
export interface Word {
  requests: number;
  requestsReset: number;
  tokens: number;
  tokensReset: number;
}

function word(requests: number | null, requestsReset: number | null, tokens: number | null, tokensReset: number | null): Word {
  const r = requests ?? -1;
  const t = tokens ?? -1;
  return { requests: r, requestsReset: r < 0 ? 0 : (requestsReset ?? 0), tokens: t, tokensReset: t < 0 ? 0 : (tokensReset ?? 0) };
}
const anyBudget = (b: Budget) => b.rpm > 0 || b.tpm > 0;
const anyWord = (w: Word) => w.requests >= 0 || w.tokens >= 0;

export interface ModelState {
  model: string;
  maxInFlight: number; // 0: no cap
  inFlight: number;
  budget: Budget;
  word: Word;
  defaultTokens: number;
}

/** state(p) of version 4, plus its model levels. */
export class State {
  readonly limit: number | null;
  readonly cooldownMs: number;
  readonly paused: boolean;
  readonly adaptive: boolean;
  readonly effective: number | null;
  readonly pausedUntil: number;
  readonly pauseReason: string;
  readonly upstream: number | null;
  readonly hidden: number;
  readonly validUntil: number;
  readonly active: number;
  readonly cooling: number;
  readonly queued: number;
  readonly coolingEnded: boolean;
  readonly anyExpired: boolean;
  readonly rowsAhead: boolean;
  readonly processesAhead: boolean;
  readonly budget: Budget;
  readonly defaultTokens: number;
  readonly agingMs: number;
  readonly windowChangesAt: number;
  readonly ledgerExpired: boolean;
  readonly word: Word;
  readonly hasModels: boolean;
  readonly models = new Map<string, ModelState>();

  constructor(
    readonly provider: string,
    r: any,
  ) {
    this.limit = r.maxInFlight;
    this.cooldownMs = r.cooldownMs;
    this.paused = !!r.paused;
    this.adaptive = !!r.adaptive;
    this.effective = r.effective;
    this.pausedUntil = r.pausedUntil;
    this.pauseReason = r.pauseReason ?? '';
    this.upstream = r.upstream;
    this.hidden = r.hidden;
    this.validUntil = r.validUntil;
    this.active = r.active;
    this.cooling = r.cooling;
    this.queued = r.queued;
    this.coolingEnded = !!r.coolingEnded;
    this.anyExpired = !!r.anyExpired;
    this.rowsAhead = !!r.rowsAhead;
    this.processesAhead = !!r.processesAhead;
    this.budget = { rpm: r.rpm, tpm: r.tpm, requests: r.windowRequests, tokens: r.windowTokens };
    this.defaultTokens = r.defaultTokens;
    this.agingMs = r.agingMs;
    this.windowChangesAt = r.windowOldest == null ? 0 : r.windowOldest + S.WINDOW_MS;
    this.ledgerExpired = !!r.ledgerExpired;
    this.word = word(r.wordRequests, r.wordRequestsReset, r.wordTokens, r.wordTokensReset);
    this.hasModels = !!r.hasModels;
  }

  limitInForce(): number | null {
    if (this.limit == null) return null;
    return this.effective ?? this.limit;
  }

  free(): number {
    if (this.paused || this.pausedUntil > 0) return 0;
    const lim = this.limitInForce();
    if (lim == null) return INF;
    let f = lim - this.hidden - this.active - this.cooling;
    if (this.upstream != null) f = Math.min(f, lim - this.upstream);
    return Math.max(0, f);
  }
}

export function look(tx: Tx, provider: string, processFlags = true): State {
  const st = new State(provider, tx.one(S.STATE, provider, tx.now, processFlags ? 1 : 0));
  if (st.hasModels) {
    for (const r of tx.all(S.MODELS, provider, tx.now)) {
      st.models.set(r.model, {
        model: r.model,
        maxInFlight: r.maxInFlight,
        inFlight: r.inFlight,
        budget: { rpm: r.rpm, tpm: r.tpm, requests: r.windowRequests, tokens: r.windowTokens },
        word: word(r.wordRequests, r.wordRequestsReset, r.wordTokens, r.wordTokensReset),
        defaultTokens: r.defaultTokens,
      });
    }
  }
  return st;
}

export interface Want {
  model: string;
  weight: number;
  tokens: number;
}

/** One level of the walk: its room, counted down as the walk grants. */
class Level {
  blocked = false;
  rpm: number;
  tpm: number;
  requests: number;
  tokens: number;
  wordRequests: number;
  wordRequestsReset: number;
  wordTokens: number;
  wordTokensReset: number;
  constructor(
    readonly model: string,
    readonly cap: number,
    public free: number,
    b: Budget,
    w: Word,
  ) {
    this.rpm = b.rpm;
    this.tpm = b.tpm;
    this.requests = b.requests;
    this.tokens = b.tokens;
    this.wordRequests = w.requests;
    this.wordRequestsReset = w.requestsReset;
    this.wordTokens = w.tokens;
    this.wordTokensReset = w.tokensReset;
  }
  unitCost(w: Want) {
    return this.cap > 0 ? Math.min(w.weight, this.cap) : w.weight;
  }
  tokenCost(w: Want) {
    return this.tpm > 0 ? Math.min(w.tokens, this.tpm) : w.tokens;
  }
  fits(w: Want) {
    return (
      this.free >= this.unitCost(w) &&
      (this.rpm === 0 || this.requests + 1 <= this.rpm) &&
      (this.tpm === 0 || this.tokens + this.tokenCost(w) <= this.tpm) &&
      (this.wordRequests < 0 || this.wordRequests >= 1) &&
      (this.wordTokens < 0 || this.wordTokens >= w.tokens)
    );
  }
  take(w: Want) {
    if (this.free !== INF) this.free -= this.unitCost(w);
    this.requests += 1;
    this.tokens += w.tokens;
    if (this.wordRequests > 0) this.wordRequests -= 1;
    if (this.wordTokens >= 0) this.wordTokens = Math.max(0, this.wordTokens - w.tokens);
  }
}

export type Decision = 'grant' | 'wait' | 'stop';

/** The admission walk of version 4 over one provider's queue: blocked levels, costs, budgets
 * and the provider's word. */
export class Plan {
  readonly provider: Level;
  readonly models = new Map<string, Level>();
  /** (model, requests, tokens) that a blocked level's budget must free. */
  readonly needs: Array<[string, number, number]> = [];
  wordResetAt: number | null = null;

  constructor(st: State) {
    this.provider = new Level('', st.limitInForce() ?? 0, st.free(), st.budget, st.word);
    for (const m of st.models.values()) {
      const free = m.maxInFlight === 0 ? INF : Math.max(0, m.maxInFlight - m.inFlight);
      this.models.set(m.model, new Level(m.model, m.maxInFlight, free, m.budget, m.word));
    }
  }

  offer(w: Want): Decision {
    const m = this.models.get(w.model);
    if (this.provider.blocked) return 'stop';
    if (m?.blocked) return 'wait';
    const pFits = this.provider.fits(w);
    const mFits = !m || m.fits(w);
    if (pFits && mFits) {
      this.provider.take(w);
      m?.take(w);
      return 'grant';
    }
    if (!pFits) this.block(this.provider, w);
    if (!mFits && m) this.block(m, w);
    return this.provider.blocked ? 'stop' : 'wait';
  }

  fitsNow(w: Want): boolean {
    const m = this.models.get(w.model);
    return !this.provider.blocked && this.provider.fits(w) && (!m || (!m.blocked && m.fits(w)));
  }

  private block(level: Level, w: Want) {
    level.blocked = true;
    const requests = level.rpm > 0 && level.requests + 1 > level.rpm ? level.requests + 1 - level.rpm : 0;
    const cost = level.tokenCost(w);
    const tokens = level.tpm > 0 && level.tokens + cost > level.tpm ? level.tokens + cost - level.tpm : 0;
    if (requests > 0 || tokens > 0) this.needs.push([level.model, requests, tokens]);
    if (level.wordRequests === 0 && level.wordRequestsReset > 0) this.wordAt(level.wordRequestsReset);
    if (level.wordTokens >= 0 && level.wordTokens < w.tokens) this.wordAt(level.wordTokensReset);
  }

  private wordAt(t: number) {
    this.wordResetAt = this.wordResetAt == null ? t : Math.min(this.wordResetAt, t);
  }
}

export interface QueueRow {
  ticket: number;
  token: string;
  owner: number;
  pid: number;
  label: string;
  queuedAt: number;
  model: string;
  weight: number;
  tokens: number;
  rank: number;
  priority: Priority;
}

export function queueRows(tx: Tx, st: State): QueueRow[] {
  return tx.all<QueueRow>(S.IN_ORDER, st.provider, tx.now, st.agingMs);
}

export type Log = (message: string) => void;

/** Grant what the walk allows, in rank then ticket order; returns the state after. */
export function promote(tx: Tx, st: State, log: Log): State {
  if (st.queued === 0 || st.free() === 0) return st;
  const plan = new Plan(st);
  const grants: QueueRow[] = [];
  for (const r of queueRows(tx, st)) {
    const d = plan.offer(r);
    if (d === 'grant') grants.push(r);
    else if (d === 'stop') break;
  }
  if (grants.length === 0) return st;
  let refused = false;
  for (const r of grants) {
    tx.run('DELETE FROM queue WHERE ticket = ?', r.ticket);
    let leaseId = 0;
    try {
      leaseId = writeLease(tx, st, r.token, r.owner, r.pid, r.label, r.queuedAt, r);
    } catch (e: any) {
      if (!String(e?.code ?? '').startsWith('SQLITE_CONSTRAINT')) throw e;
      refused = true; // one bad row must never wedge a provider
      log(`dropped a queued request of '${printable(st.provider)}' (pid ${r.pid}) that the database refused to grant: ${e.message}`);
      continue;
    }
    if (leaseId) tx.grants.push([r.owner, r.token, leaseId, tx.now]);
  }
  const after = look(tx, st.provider);
  return refused ? promote(tx, after, log) : after;
}

/** Insert a lease (with its ledger row and the word's update); 0 when the owner has no row. */
export function writeLease(tx: Tx, st: State, token: string, owner: number, pid: number, label: string, queuedAt: number, w: Want): number {
  const row = tx.one<{ id: number }>(S.INSERT_LEASE, token, st.provider, owner, pid, label, queuedAt, tx.now, w.model, w.weight, w.tokens);
  if (!row) return 0;
  const m = st.models.get(w.model);
  if (anyBudget(st.budget) || (m && anyBudget(m.budget))) tx.run(S.INSERT_LEDGER, st.provider, tx.now, row.id, w.model, w.tokens);
  if (anyWord(st.word) || (m && anyWord(m.word))) tx.run(S.TAKE_FROM_WORD, st.provider, w.model, w.tokens, tx.now);
  return row.id;
}

/** Remove a process and everything it holds; returns the providers it touched. */
export function freeProcess(tx: Tx, id: number, procs: string | null): Set<string> {
  const touched = new Set(
    tx.all<{ provider: string }>('SELECT provider FROM leases WHERE owner_id = ? UNION SELECT provider FROM queue WHERE owner_id = ?', id, id).map((r) => r.provider),
  );
  tx.run(
    `UPDATE leases SET owner_id = NULL, released_at_ms = ?1,
       cool_until_ms = ?1 + (SELECT m.cooldown_ms FROM limits m WHERE m.provider = leases.provider)
     WHERE owner_id = ?2 AND coalesce((SELECT m.cooldown_ms FROM limits m WHERE m.provider = leases.provider), 0) > 0`,
    tx.now,
    id,
  );
  tx.run('DELETE FROM processes WHERE id = ?', id);
  tx.run('DELETE FROM leases WHERE owner_id = ?', id);
  tx.run('DELETE FROM queue WHERE owner_id = ?', id);
  if (procs) {
    for (const f of [`${id}.lock`, `${id}.sock`]) {
      try {
        fs.unlinkSync(path.join(procs, f));
      } catch {
        // a stale file costs nothing
      }
    }
  }
  return touched;
}

export interface Env {
  procs: string;
  hostId: string;
  log: Log;
}

function provenAlive(env: Env, id: number, hostId: string, pid: number, token: string): boolean {
  if (hostId !== env.hostId || !alive(pid, token)) return false;
  return holdsWriteLock(path.join(env.procs, `${id}.lock`), pid) === true;
}

function reapExpired(tx: Tx, env: Env): Set<string> {
  const touched = new Set<string>();
  for (const r of tx.all('SELECT id, host, pid, host_id AS hostId, start_token AS token FROM processes WHERE expires_at_ms < ?', tx.now)) {
    if (provenAlive(env, r.id, r.hostId, r.pid, r.token)) {
      tx.run('UPDATE processes SET expires_at_ms = ?1 + ?2 WHERE id = ?3', tx.now, 60_000, r.id);
    } else {
      env.log(`reclaimed expired process ${r.id} (pid ${r.pid} on ${printable(r.host)})`);
      for (const p of freeProcess(tx, r.id, env.procs)) touched.add(p);
    }
  }
  return touched;
}

function reapDeadOwners(tx: Tx, provider: string, env: Env): [Set<string>, boolean] {
  const touched = new Set<string>();
  for (const r of tx.all(
    `SELECT p.id, p.pid, p.start_token AS token FROM processes p WHERE p.host_id = ? AND p.id IN
       (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL
        UNION SELECT owner_id FROM queue WHERE provider = ?)`,
    env.hostId,
    provider,
    provider,
  )) {
    if (!alive(r.pid, r.token)) {
      env.log(`reclaimed dead process ${r.id} (pid ${r.pid})`);
      for (const p of freeProcess(tx, r.id, env.procs)) touched.add(p);
    }
  }
  const orphans = tx.all<{ id: number }>(
    `SELECT l.id FROM leases l WHERE l.provider = ? AND l.owner_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = l.owner_id)`,
    provider,
  );
  for (const o of orphans) tx.run('DELETE FROM leases WHERE id = ?', o.id);
  const waiters = tx.run('DELETE FROM queue WHERE provider = ? AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = queue.owner_id)', provider);
  return [touched, touched.size > 0 || orphans.length > 0 || waiters > 0];
}

/** settle(p, reap): pull back, drop ended cooldowns and window rows, reclaim, promote. */
export function settle(tx: Tx, provider: string, reap: boolean, env: Env): State {
  let st = look(tx, provider);
  if (st.rowsAhead || st.processesAhead) {
    if (st.rowsAhead) for (const sql of S.PULL_BACK_ROWS) tx.run(sql, provider, tx.now);
    if (st.processesAhead) for (const sql of S.PULL_BACK_PROCESSES) tx.run(sql, tx.now);
    st = look(tx, provider);
  }
  if (st.coolingEnded) tx.run('DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?', provider, tx.now);
  if (st.ledgerExpired) tx.run('DELETE FROM ledger_rows WHERE provider = ? AND started_at_ms <= ?', provider, tx.now - S.WINDOW_MS);
  const touched = st.anyExpired ? reapExpired(tx, env) : new Set<string>();
  if (st.coolingEnded || st.ledgerExpired || touched.has(provider)) st = look(tx, provider);
  st = promote(tx, st, env.log);
  let reaped = false;
  if (reap && (st.queued > 0 || st.free() === 0) && !st.paused) {
    const [more, any] = reapDeadOwners(tx, provider, env);
    for (const p of more) touched.add(p);
    reaped = any;
  }
  touched.delete(provider);
  for (const other of [...touched].sort()) promote(tx, look(tx, other), env.log);
  return reaped ? promote(tx, look(tx, provider), env.log) : st;
}

/** Resolve a request's tokens and refuse, writing nothing, what could never be granted. */
export function resolveWant(st: State, model: string, weight: number, tokens: number | undefined): Want {
  const m = model ? st.models.get(model) : undefined;
  const t = tokens ?? (m && m.defaultTokens > 0 ? m.defaultTokens : st.defaultTokens);
  const key = model ? `${st.provider}/${model}` : st.provider;
  const tooMuch = (parameter: string, value: number, what: string, limit: number) => {
    throw new RangeError(
      `${parameter} must be at most ${what} (${limit}), or the request for ${printable(key)} could never be granted (was ${value})`,
    );
  };
  if (st.limit != null && weight > st.limit) tooMuch('weight', weight, `the in-flight limit of ${st.provider}`, st.limit);
  if (m && m.maxInFlight > 0 && weight > m.maxInFlight) tooMuch('weight', weight, `the in-flight limit of ${key}`, m.maxInFlight);
  if (st.budget.tpm > 0 && t > st.budget.tpm) tooMuch('tokens', t, `the tokens_per_minute budget of ${st.provider}`, st.budget.tpm);
  if (m && m.budget.tpm > 0 && t > m.budget.tpm) tooMuch('tokens', t, `the tokens_per_minute budget of ${key}`, m.budget.tpm);
  return { model, weight, tokens: t };
}

/** Whether a new request of this class is granted at once: the walk over those ranking at or
 * before it, without writing. */
export function fitsNow(tx: Tx, st: State, w: Want, priority: Priority): boolean {
  const plan = new Plan(st);
  if (st.queued > 0) {
    if (st.free() === 0) return false;
    const mine = PRIORITIES.indexOf(priority);
    for (const r of queueRows(tx, st)) {
      if (r.rank > mine || plan.offer(r) === 'stop') break;
    }
  }
  return plan.fitsNow(w);
}

/** The walk without writing: whether it would grant, the plan, the queue rows seen. */
export function dryRun(tx: Tx, st: State): [boolean, Plan, QueueRow[]] {
  const plan = new Plan(st);
  const rows = st.queued > 0 ? queueRows(tx, st) : [];
  if (st.queued === 0 || st.free() === 0) return [false, plan, rows];
  for (const r of rows) {
    const d = plan.offer(r);
    if (d === 'grant') return [true, plan, rows];
    if (d === 'stop') break;
  }
  return [false, plan, rows];
}

/** When a budget frees what the first blocked request of each blocked level needs. */
export function budgetFreesAt(tx: Tx, st: State, plan: Plan): number | null {
  let at: number | null = null;
  for (const [model, requests, tokens] of plan.needs) {
    let when = 0;
    if (requests > 0) {
      const r = tx.one<{ at: number }>(S.NTH_START, st.provider, model, tx.now, requests - 1);
      when = Math.max(when, r ? r.at : st.windowChangesAt - S.WINDOW_MS);
    }
    if (tokens > 0) {
      const r = tx.one<{ at: number }>(S.START_FREEING_TOKENS, st.provider, model, tx.now, tokens);
      when = Math.max(when, r ? r.at : st.windowChangesAt - S.WINDOW_MS);
    }
    const t = when + S.WINDOW_MS;
    at = at == null ? t : Math.min(at, t);
  }
  return at;
}

export function record429(tx: Tx, provider: string, until: number, reason: string, admitted: number) {
  tx.run(S.RECORD_429, provider, until, reason, tx.now);
  const row = tx.one<{ m: number | null }>('SELECT max_in_flight AS m FROM limits WHERE provider = ? AND adaptive = 1', provider);
  if (row && row.m != null) tx.run(S.STEP_DOWN, provider, row.m, tx.now, admitted);
}

export function recordSuccess(tx: Tx, provider: string, admitted: number, maxInFlight: number) {
  if (tx.run(S.COUNT_SUCCESS, provider, admitted)) tx.run(S.STEP_UP, provider, maxInFlight, tx.now, 30_000);
}

/** After COMMIT: tell each other owner what this transaction granted it, without blocking. */
export function wakeOthers(procs: string, grants: Tx['grants'], me: number | null) {
  const byOwner = new Map<number, string[]>();
  for (const [owner, token, leaseId, at] of grants) {
    if (owner === me) continue;
    const lines = byOwner.get(owner) ?? [];
    lines.push(`grant ${token} ${leaseId} ${at}\n`);
    byOwner.set(owner, lines);
  }
  for (const [owner, lines] of byOwner) {
    let message = lines.join('');
    if (Buffer.byteLength(message) > 4096) message = '';
    const c = net.createConnection({ path: path.join(procs, `${owner}.sock`) });
    c.on('error', () => c.destroy()); // a dead owner's stale socket, a full backlog: give up
    c.on('connect', () => c.end(message));
    c.setTimeout(1000, () => c.destroy());
    c.unref();
  }
}
