// Limiter and Lease: the Node.js client of the lease protocol, schema version 5
// (migrations/README.md). One Limiter is one registration (one process row).

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseError, LeaseTimeoutError, SchemaError } from './errors.js';
import { readRateLimitHeaders, type HeaderSource } from './headers.js';
import * as I from './identity.js';
import * as S from './sql.js';
import * as St from './store.js';
import { PRIORITIES, type Priority, Tx } from './store.js';
import * as V from './validate.js';

const HEARTBEAT_MS = 5000;
const TTL_MS = 30_000;
const BUSY_TIMEOUT_MS = 5000;
const RECHECK_WATCHED_MS = 10_000;
const RECHECK_UNWATCHED_MS = 1000;
/** How often a waiter reads /proc for the same-host owners it waits on (see README, "Liveness"). */
const DEATH_POLL_MS = 50;
const DEFAULT_RETRY_AFTER_MS = 30_000;
const MAX_RETRY_AFTER_MS = 86_400_000;
const CONFIRM_STEPS_MS = [0, 1, 1, 2, 4, 8, 16, 32, 64, 128, 256];

export const OUTCOMES = ['succeeded', 'rate_limited', 'failed', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface OpenOptions {
  /** The config root; default `$INFLIGHT_HOME`, else `$XDG_CONFIG_HOME/inflight`, else `~/.config/inflight`. */
  home?: string;
  /** The wall clock in ms since the epoch (for tests); durations always use a monotonic clock. */
  clock?: () => number;
  /** Renew the process row every 5 s (default true; tests turn it off). */
  heartbeat?: boolean;
  /** Where log lines go (default: stderr for warnings, nothing for debug). */
  log?: (level: 'debug' | 'warn', message: string) => void;
}

export interface RequestOptions {
  /** The model's own name (`gpt-4o`); `"openai/gpt-4o"` as the provider says the same. */
  model?: string;
  /** Units taken at every level the request counts against, 1 to 10000 (default 1). */
  weight?: number;
  /** Tokens it expects (input plus maximum output), reserved in token budgets; default: the level's default. */
  tokens?: number;
  priority?: Priority;
  /** Free text shown in `inflight status`, at most 200 characters. */
  label?: string;
  /** Milliseconds to wait at most; default: for ever. */
  timeout?: number;
  /** Aborting leaves the queue (the row is deleted) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ReleaseOptions {
  /** The request's real token count: corrects its reservation in the token budgets. */
  usedTokens?: number;
  /** For `rate_limited`: how long every process pauses the provider, in ms (default 30 s). */
  retryAfter?: number;
}

export interface QueuedEvent {
  provider: string;
  model: string;
  label: string;
  /** 1 + how many requests of the provider are served before it, when it queued. */
  position: number;
}
export interface GrantedEvent {
  lease: Lease;
  /** Milliseconds between the request and the grant (monotonic). */
  waitedMs: number;
}

/** What `observe` understood (-1 / null where the headers said nothing). */
export interface Observation {
  requestsRemaining: number;
  requestsResetAtMs: number | null;
  tokensRemaining: number;
  tokensResetAtMs: number | null;
  /** When a `retry-after` paused the provider for every process. */
  pausedUntilMs: number | null;
}

/**
 * Refuses to start while INFLIGHT_DATABASE_URL names a PostgreSQL database: the Java processes
 * of this machine then share limits there, and this client, which speaks only the SQLite engine,
 * would silently keep limits of its own in the file.
 */
function refuseDatabaseUrl(): void {
  const url = (process.env.INFLIGHT_DATABASE_URL ?? '').trim();
  if (!url) return;
  const masked = url.replace(/(:\/\/[^/@:]*):[^/@]*@/, '$1:***@').replace(/(password=)[^&]*/i, '$1***');
  throw new DatabaseError(
    `INFLIGHT_DATABASE_URL names the PostgreSQL database ${masked}, and the Node.js client speaks only the SQLite engine: ` +
      'it would keep limits apart from the processes that use that database. Unset INFLIGHT_DATABASE_URL for this process ' +
      'to share the SQLite file of its config root instead',
    masked,
  );
}

/** The config root, resolved as the Java client does (migrations/README.md, "Files"). */
export function resolveHome(home?: string): string {
  if (home) return path.resolve(home);
  const env = process.env.INFLIGHT_HOME ?? '';
  if (env) return path.resolve(env);
  const xdg = process.env.XDG_CONFIG_HOME ?? '';
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'inflight');
  return path.join(os.homedir(), '.config', 'inflight');
}

const isBusy = (e: any) => typeof e?.code === 'string' && (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'));
const monotonic = () => performance.now();

/**
 * A granted slot. Release it exactly once (a second release does nothing and returns false).
 * A lease joined from an ancestor (`joined`) is the ancestor's: releasing it writes nothing,
 * except that a `rate_limited` ending is reported to every process.
 */
export class Lease {
  released = false;
  /** True once the lease was found reclaimed or force-released before it was given back. */
  lost = false;
  /** @internal */
  constructor(
    private readonly limiter: Limiter,
    readonly token: string,
    readonly id: number,
    readonly provider: string,
    readonly model: string,
    readonly weight: number,
    readonly tokens: number,
    readonly acquiredAtMs: number,
    readonly joined = false,
  ) {}

  /** Give the slot back; returns false when it was no longer held (or was released before). */
  release(outcome: Outcome = 'succeeded', options?: ReleaseOptions): boolean {
    V.oneOf('outcome', outcome, OUTCOMES);
    const o = V.object('options', options);
    V.known('options', o, ['usedTokens', 'retryAfter']);
    const used = o.usedTokens === undefined ? undefined : V.integer('usedTokens', o.usedTokens, 0, 1_000_000_000);
    const retry = o.retryAfter === undefined ? undefined : V.duration('retryAfter', o.retryAfter, MAX_RETRY_AFTER_MS);
    if (this.released) return false;
    this.released = true;
    const held = this.limiter._release(this, outcome, used, retry);
    if (!held) this.lost = true;
    return held;
  }

  toString() {
    return `Lease(id=${this.id}, ${I.printable(this.model ? `${this.provider}/${this.model}` : this.provider)}, weight=${this.weight})`;
  }
}

/** A request as submit() writes it. */
interface Req {
  provider: string;
  model: string;
  weight: number;
  tokens: number | undefined;
  priority: Priority;
  label: string;
}
type Submitted = { kind: 'granted'; lease: Lease } | { kind: 'queued'; token: string; position: number } | { kind: 'busy' };

interface Pending {
  token: string;
  provider: string;
  model: string;
  weight: number;
  tokens: number | undefined;
  priority: Priority;
  label: string;
  startedAt: number; // monotonic
  deadline: number | null; // monotonic
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve: (lease: Lease) => void;
  reject: (e: unknown) => void;
  done: boolean;
}

interface Look {
  due: boolean;
  nextAt: number | null; // wall clock
  owners: Array<{ pid: number; token: string }>; // same-host owners to poll
}

/**
 * One registration on the shared database. Open it once per process with `Limiter.open()`;
 * `close()` deregisters (it also runs at process exit). All methods run on the calling thread:
 * a write waits at most the busy timeout for another process's write lock.
 *
 * Events: `queued` ({@link QueuedEvent}) when a request has to wait, `granted`
 * ({@link GrantedEvent}) when a waiting request gets its lease.
 */
export class Limiter extends EventEmitter {
  readonly home: string;
  readonly file: string;
  private readonly procs: string;
  private readonly clock: () => number;
  private readonly logFn: (level: 'debug' | 'warn', message: string) => void;
  private readonly myHostId = I.hostId();
  private readonly db: Database.Database;
  private readonly cache: St.StatementCache;
  private readonly env: St.Env;
  private id: number | null = null;
  private lockDb: Database.Database | null = null;
  private lockIno: bigint | null = null;
  private server: net.Server | null = null;
  private watcher: fs.FSWatcher | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly heartbeatOn: boolean;
  private readonly pending = new Map<string, Pending>();
  private readonly held = new Map<string, Lease>();
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private polled: Array<{ pid: number; token: string }> = [];
  private readonly probes = new Map<string, I.ProcessProbe>();
  private confirming = false;
  private lastDataVersion = -1;
  private closed = false;
  private warnedToken = false;
  private readonly onExit = () => this.close();

  private constructor(options: OpenOptions) {
    super();
    this.home = resolveHome(options.home);
    this.file = path.join(this.home, 'limiter.db');
    this.procs = path.join(this.home, 'procs');
    this.clock = options.clock ?? (() => Date.now());
    this.heartbeatOn = options.heartbeat ?? true;
    this.logFn = options.log ?? ((level, m) => level === 'warn' && process.stderr.write(`inflight: ${m}\n`));
    this.db = this.openDatabase();
    this.cache = new St.StatementCache(this.db);
    this.env = { procs: this.procs, hostId: this.myHostId, log: (m) => this.logFn('warn', m) };
    process.on('exit', this.onExit);
  }

  /**
   * Opens the database of the config root. It must exist at schema version 5 (run any `inflight`
   * command once, e.g. `inflight status`): this client never creates or migrates it.
   * @throws SchemaError naming the file and the version when it is missing, of another version, or replaced
   * @throws TypeError / RangeError for bad options
   */
  static open(options: OpenOptions = {}): Limiter {
    const o = V.object('options', options);
    V.known('options', o, ['home', 'clock', 'heartbeat', 'log']);
    if (o.home !== undefined) V.text('home', o.home, 1, 4096);
    if (o.clock !== undefined && typeof o.clock !== 'function') throw new TypeError(`clock must be a function returning ms since the epoch (was ${typeof o.clock})`);
    if (o.log !== undefined && typeof o.log !== 'function') throw new TypeError(`log must be a function (was ${typeof o.log})`);
    if (o.heartbeat !== undefined && typeof o.heartbeat !== 'boolean') throw new TypeError(`heartbeat must be a boolean (was ${typeof o.heartbeat})`);
    refuseDatabaseUrl();
    return new Limiter(o as OpenOptions);
  }

  /** This registration's processes.id, or null before the first request. */
  get processId(): number | null {
    return this.id;
  }

  // ---- opening ----------------------------------------------------------------------------

  private openDatabase(): Database.Database {
    const db = this.file;
    const marker = `${db}.id`;
    const hint = 'run any inflight command once (for example `inflight status`) to create and migrate it';
    if (!isDir(this.home)) throw new SchemaError(`the config root ${this.home} does not exist: ${hint}`, this.home, 0);
    if (!fs.existsSync(db)) {
      if (fs.existsSync(marker))
        throw new SchemaError(
          `the database ${db} is missing, but ${marker} says a database with limits existed there: its limits would be lost. Restore limiter.db from a backup, or delete ${marker} to start afresh with no limits`,
          db,
          0,
        );
      throw new SchemaError(`the database ${db} does not exist (schema version 0 found; this client needs version ${S.SCHEMA_VERSION}): ${hint}`, db, 0);
    }
    try {
      fs.accessSync(db, fs.constants.R_OK | fs.constants.W_OK);
      if (fs.statSync(db).isDirectory()) throw new Error('a directory');
    } catch {
      throw new DatabaseError(`the database ${db} is not a readable and writable file`, db);
    }
    if (!inWalMode(db))
      throw new SchemaError(`the database ${db} is not in WAL mode yet (a fresh or empty file, schema version 0): this client does not migrate; ${hint}`, db, 0);
    if (!(fs.existsSync(`${db}-wal`) && fs.existsSync(`${db}-shm`)) && this.anyLockHeld())
      throw new DatabaseError(`${db}-wal or -shm is missing while registered processes run: someone deleted them; opening now would create a second, diverging database`, db);
    let conn: Database.Database;
    try {
      conn = new Database(db, { timeout: BUSY_TIMEOUT_MS });
      const [major, minor] = (conn.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v.split('.').map(Number);
      if (major < 3 || (major === 3 && minor < 37)) throw new SchemaError(`the bundled SQLite is too old for ${db}: the schema needs 3.37 or newer`, db);
      conn.pragma('journal_mode = WAL');
      conn.pragma('synchronous = NORMAL');
      conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      conn.pragma('foreign_keys = ON');
      // As the Java clients: checkpoints run at each heartbeat, so that few commits pay for one.
      conn.pragma('wal_autocheckpoint = 4000');
    } catch (e) {
      if (e instanceof DatabaseError) throw e;
      throw new DatabaseError(`cannot open the database ${db}: ${(e as Error).message}`, db, { cause: e });
    }
    const version = conn.pragma('user_version', { simple: true }) as number;
    if (version !== S.SCHEMA_VERSION) {
      conn.close();
      if (version > S.SCHEMA_VERSION)
        throw new SchemaError(
          `the database ${db} has schema version ${version}, newer than this inflight client understands (version ${S.SCHEMA_VERSION}): upgrade it, or point it at another config root`,
          db,
          version,
        );
      throw new SchemaError(`the database ${db} has schema version ${version}; this client needs version ${S.SCHEMA_VERSION} and does not migrate: ${hint}`, db, version);
    }
    const row = conn.prepare('SELECT database_id AS id FROM database_info WHERE id = 1').get() as { id: string } | undefined;
    const recorded = readMarker(marker);
    if (row && recorded == null) {
      const tmp = `${marker}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `id=${row.id}\n`, { mode: 0o600 });
      fs.chmodSync(tmp, 0o600);
      fs.renameSync(tmp, marker);
    } else if (row && recorded !== row.id) {
      conn.close();
      throw new SchemaError(`the database ${db} is not the one that was here (its id is ${row.id}, ${marker} says ${recorded}): restore it, or delete ${marker} to accept it`, db, version);
    }
    return conn;
  }

  private anyLockHeld(): boolean {
    try {
      return fs
        .readdirSync(this.procs)
        .filter((n) => n.endsWith('.lock'))
        .some((n) => I.anyWriteLock(path.join(this.procs, n)));
    } catch {
      return false;
    }
  }

  // ---- transactions -----------------------------------------------------------------------

  private fail(what: string, e: unknown): never {
    if (e instanceof DatabaseError || e instanceof TypeError || e instanceof RangeError) throw e;
    throw new DatabaseError(`could not ${what} in ${this.file}: ${(e as Error)?.message ?? e}`, this.file, { cause: e });
  }

  /** Runs fn in BEGIN IMMEDIATE (now read after the lock, user_version checked), retrying
   * SQLITE_BUSY for one more busy timeout; then wakes the owners it granted to. */
  private write<T>(what: string, fn: (tx: Tx) => T): T {
    this.ensureOpen();
    const retryUntil = monotonic() + BUSY_TIMEOUT_MS;
    for (;;) {
      let tx: Tx;
      let result: T;
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        if (isBusy(e) && monotonic() < retryUntil) continue;
        this.fail(what, e);
      }
      try {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version !== S.SCHEMA_VERSION)
          throw new SchemaError(
            `the database ${this.file} changed to schema version ${version} while this process ran, and this inflight client writes schema version ${S.SCHEMA_VERSION} only; it stops granting rather than apply rules the file no longer has: restart it with a client that knows version ${version}`,
            this.file,
            version,
          );
        tx = new Tx(this.cache, this.clock());
        result = fn(tx);
        this.db.exec('COMMIT');
      } catch (e) {
        try {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
        } catch {
          // rolled back already
        }
        if (isBusy(e) && monotonic() < retryUntil) continue;
        this.fail(what, e);
      }
      if (tx.grants.length) this.deliver(tx.grants);
      return result;
    }
  }

  private read<T>(what: string, fn: (tx: Tx) => T): T {
    this.ensureOpen();
    try {
      this.db.exec('BEGIN');
      try {
        return fn(new Tx(this.cache, this.clock()));
      } finally {
        this.db.exec('COMMIT');
      }
    } catch (e) {
      this.fail(what, e);
    }
  }

  private deliver(grants: Tx['grants']) {
    if (grants.some(([owner]) => owner === this.id)) this.schedule();
    St.wakeOthers(this.procs, grants, this.id);
  }

  private settle(tx: Tx, provider: string, reap: boolean) {
    return St.settle(tx, provider, reap, this.env);
  }

  private ensureOpen() {
    if (this.closed) throw new DatabaseError(`this Limiter on ${this.file} is closed`, this.file);
  }

  // ---- registration -----------------------------------------------------------------------

  private ensureRegistered() {
    if (this.id != null) return;
    this.register(null);
    if (this.heartbeatOn) {
      this.heartbeatTimer = setInterval(() => {
        try {
          this.heartbeat();
        } catch (e) {
          this.logFn('warn', `heartbeat failed: ${(e as Error).message}`);
        }
      }, HEARTBEAT_MS);
      this.heartbeatTimer.unref();
    }
  }

  private register(oldId: number | null) {
    const pid = process.pid;
    const token = I.startToken(pid) ?? 'unknown';
    const host = I.hostName();
    const name = I.exeName();
    this.id = this.write('register', (tx) =>
      tx.one<{ id: number }>(
        'INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms, heartbeat_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        oldId,
        host,
        this.myHostId,
        pid,
        token,
        name,
        tx.now,
        tx.now,
        tx.now + TTL_MS,
      )!.id,
    );
    this.takeLockFile();
  }

  /**
   * The liveness lock. Node cannot call fcntl itself, but SQLite's unix VFS can: an SQLite
   * connection on procs/<id>.lock in exclusive locking mode, once it has run a write
   * transaction, keeps a POSIX write lock on bytes 0x40000000-0x400001FF of the file for as long
   * as the connection is open. /proc/locks shows it under this pid, Java's and Python's
   * whole-file watchers conflict with it, and the kernel drops it the instant this process dies.
   */
  private takeLockFile() {
    if (!isDir(this.procs)) {
      try {
        fs.mkdirSync(this.procs, { mode: 0o700 });
        fs.chmodSync(this.procs, 0o700);
      } catch (e: any) {
        if (e?.code !== 'EEXIST') throw e;
      }
    }
    const file = path.join(this.procs, `${this.id}.lock`);
    if (this.lockDb) {
      let same = false;
      try {
        same = fs.statSync(file, { bigint: true }).ino === this.lockIno;
      } catch {
        same = false;
      }
      if (same) return;
      this.lockDb.close();
      this.lockDb = null;
    }
    try {
      fs.writeFileSync(file, '', { mode: 0o600 }); // ours: emptied, so SQLite sees a fresh file
      fs.chmodSync(file, 0o600);
      const lock = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.pragma('journal_mode = MEMORY');
      lock.exec('BEGIN EXCLUSIVE; COMMIT');
      this.lockDb = lock;
      this.lockIno = fs.statSync(file, { bigint: true }).ino;
    } catch (e) {
      this.logFn('warn', `could not lock ${file} (${(e as Error).message}): other processes will notice this one's end only by /proc and its heartbeat`);
    }
  }

  /** Renew this process's row (a timer does this every 5 s). */
  heartbeat(): void {
    if (this.id == null || this.closed) return;
    const me = this.id;
    const changed = this.write('renew the heartbeat', (tx) =>
      tx.run('UPDATE processes SET heartbeat_at_ms = ?, expires_at_ms = ? WHERE id = ?', tx.now, tx.now + TTL_MS, me),
    );
    if (changed === 0) {
      this.logFn('warn', `process row ${me} was reclaimed: its leases are lost; registering again`);
      for (const lease of this.held.values()) lease.lost = true;
      this.held.clear();
      this.register(me);
      this.schedule(); // queued requests are missing now: queue them again
    }
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // a checkpoint that cannot run now runs at the next heartbeat
    }
  }

  // ---- requests ---------------------------------------------------------------------------

  private parse(provider: unknown, options: unknown) {
    const o = V.object('options', options);
    V.known('options', o, ['model', 'weight', 'tokens', 'priority', 'label', 'timeout', 'signal']);
    V.text('provider', provider, 1);
    let p = provider as string;
    let m = o.model;
    if (m === undefined && p.includes('/')) {
      m = p.slice(p.indexOf('/') + 1);
      p = p.slice(0, p.indexOf('/'));
      V.text('provider', p, 1);
    }
    return {
      provider: p,
      model: V.model(p, m),
      weight: o.weight === undefined ? 1 : V.integer('weight', o.weight, 1, 10000),
      tokens: o.tokens === undefined ? undefined : V.integer('tokens', o.tokens, 0, 100_000_000),
      priority: o.priority === undefined ? ('normal' as Priority) : V.priority(o.priority),
      label: o.label === undefined ? '' : V.text('label', o.label, 0),
      timeout: o.timeout === undefined ? null : V.duration('timeout', o.timeout, 2 ** 31 - 1),
      signal: V.signal(o.signal),
    };
  }

  /** A lease now, or null when the request would have to wait. Never waits. */
  tryAcquire(provider: string, options?: Omit<RequestOptions, 'timeout' | 'signal'>): Lease | null {
    const r = this.parse(provider, options);
    const joined = this.join(r.provider, r.model);
    if (joined) return joined;
    const out = this.submit(r, false);
    return out.kind === 'granted' ? out.lease : null;
  }

  /**
   * Waits for a lease of `provider` (`"openai"`, or `"openai/gpt-4o"` for a model's level).
   * @throws LeaseTimeoutError after `timeout` ms, naming the provider's state (the request left the queue)
   * @throws the signal's reason when `signal` aborts (the request left the queue)
   * @throws TypeError / RangeError for bad arguments, before anything is written
   * @throws DatabaseError naming the file for database problems
   */
  acquire(provider: string, options?: RequestOptions): Promise<Lease> {
    let r: ReturnType<Limiter['parse']>;
    try {
      r = this.parse(provider, options);
      r.signal?.throwIfAborted();
      const joined = this.join(r.provider, r.model);
      if (joined) return Promise.resolve(joined);
    } catch (e) {
      return Promise.reject(e);
    }
    const startedAt = monotonic();
    let out: ReturnType<Limiter['submit']>;
    try {
      out = this.submit(r, true);
    } catch (e) {
      return Promise.reject(e);
    }
    if (out.kind === 'granted') return Promise.resolve(out.lease);
    if (out.kind === 'busy') return Promise.reject(new Error('unreachable: an enqueuing request is never busy'));
    const queued = out;
    return new Promise<Lease>((resolve, reject) => {
      const p: Pending = {
        token: queued.token,
        provider: r.provider,
        model: r.model,
        weight: r.weight,
        tokens: r.tokens,
        priority: r.priority,
        label: r.label,
        startedAt,
        deadline: r.timeout == null ? null : startedAt + r.timeout,
        signal: r.signal,
        resolve,
        reject,
        done: false,
      };
      if (r.signal) {
        p.onAbort = () => this.abort(p);
        r.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(p.token, p);
      this.startWatching();
      this.emit('queued', { provider: r.provider, model: r.model, label: r.label, position: queued.position } satisfies QueuedEvent);
      this.schedule();
    });
  }

  /** Runs `fn` under a lease and releases it when `fn` settles: `succeeded`, or `failed` when it
   * throws (a lease `fn` released itself stays as it released it). */
  async withLease<T>(provider: string, options: RequestOptions | undefined, fn: (lease: Lease) => Promise<T> | T): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError(`fn must be a function (was ${typeof fn})`);
    const lease = await this.acquire(provider, options);
    let result: T;
    try {
      result = await fn(lease);
    } catch (e) {
      if (!lease.released) lease.release('failed');
      throw e;
    }
    if (!lease.released) lease.release('succeeded');
    return result;
  }

  private submit(r: Req, enqueue: boolean): Submitted {
    this.ensureOpen();
    this.ensureRegistered();
    if (enqueue) this.bindSocket();
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomBytes(16).toString('hex');
      const me = this.id!;
      const out = this.write('acquire a lease', (tx) => {
        const st = this.settle(tx, r.provider, true);
        const w = St.resolveWant(st, r.model, r.weight, r.tokens);
        if (St.fitsNow(tx, st, w, r.priority)) {
          const leaseId = St.writeLease(tx, st, token, me, process.pid, r.label, tx.now, w);
          return leaseId === 0 ? ({ kind: 'gone' } as const) : ({ kind: 'granted', leaseId, at: tx.now, w } as const);
        }
        if (!enqueue) return { kind: 'busy' } as const;
        const n = tx.run(S.INSERT_QUEUE, token, r.provider, me, process.pid, r.label, tx.now, r.model, r.weight, w.tokens, r.priority);
        if (n === 0) return { kind: 'gone' } as const;
        const mine = PRIORITIES.indexOf(r.priority);
        const position = St.queueRows(tx, st).filter((q) => q.rank <= mine).length; // itself included
        return { kind: 'queued', position } as const;
      });
      if (out.kind === 'gone') {
        this.register(this.id);
        continue;
      }
      if (out.kind === 'busy') return out;
      if (out.kind === 'granted') {
        const lease = new Lease(this, token, out.leaseId, r.provider, r.model, r.weight, out.w.tokens, out.at);
        this.held.set(token, lease);
        return { kind: 'granted', lease };
      }
      return { kind: 'queued', token, position: out.position };
    }
    throw new DatabaseError(`could not register with ${this.file}: the process row vanished three times`, this.file);
  }

  /** A lease inherited from an ancestor that holds it (INFLIGHT_LEASE_TOKEN, as `inflight run`
   * passes it): granted at once, writing nothing. */
  private join(provider: string, model: string): Lease | null {
    const inherited = process.env.INFLIGHT_LEASE_TOKEN ?? '';
    if (!inherited) return null;
    if (!/^[0-9A-Za-z_-]{16,64}$/.test(inherited)) {
      if (!this.warnedToken) {
        this.warnedToken = true;
        this.logFn('warn', 'ignoring INFLIGHT_LEASE_TOKEN: not 16 to 64 of [0-9A-Za-z_-]');
      }
      return null;
    }
    const row = this.read('read an inherited lease', (tx) =>
      tx.one(
        `SELECT l.id, l.provider, l.acquired_at_ms AS acquiredAt, l.model, l.tokens, p.pid, p.host_id AS hostId, p.start_token AS startToken
           FROM leases l JOIN processes p ON p.id = l.owner_id WHERE l.token = ? AND l.released_at_ms IS NULL`,
        inherited,
      ),
    );
    if (!row || row.provider !== provider || row.hostId !== this.myHostId || (row.model !== '' && row.model !== model)) return null;
    if (!I.isAncestor(row.pid, row.startToken)) return null;
    return new Lease(this, inherited, row.id, provider, model, 1, row.tokens, row.acquiredAt, true);
  }

  /** @internal */
  _release(lease: Lease, outcome: Outcome, usedTokens: number | undefined, retryAfter: number | undefined): boolean {
    this.held.delete(lease.token);
    const retryMs = Math.round(retryAfter ?? DEFAULT_RETRY_AFTER_MS);
    if (lease.joined) {
      if (outcome === 'rate_limited') this.report429(lease.provider, retryMs);
      return true;
    }
    if (this.closed) return false;
    return this.write('release a lease', (tx) => {
      const row = tx.one(
        `SELECT l.id, l.provider, l.owner_id AS owner, coalesce(m.cooldown_ms, 0) AS cooldown, l.acquired_at_ms AS admitted,
                coalesce(m.adaptive, 0) AS adaptive, m.max_in_flight AS maxInFlight
           FROM leases l LEFT JOIN limits m ON m.provider = l.provider WHERE l.token = ?`,
        lease.token,
      );
      if (!row || row.owner == null) return false;
      if (usedTokens !== undefined)
        tx.run('UPDATE ledger_rows SET tokens = ? WHERE provider = ? AND started_at_ms = ? AND lease_id = ?', usedTokens, row.provider, row.admitted, row.id);
      if (row.cooldown > 0)
        tx.run('UPDATE leases SET owner_id = NULL, released_at_ms = ?, cool_until_ms = ? WHERE id = ?', tx.now, tx.now + row.cooldown, row.id);
      else tx.run('DELETE FROM leases WHERE id = ?', row.id);
      if (outcome === 'rate_limited') St.record429(tx, row.provider, tx.now + retryMs, '429 from the provider', row.admitted);
      else if (outcome === 'succeeded' && row.adaptive && row.maxInFlight != null) St.recordSuccess(tx, row.provider, row.admitted, row.maxInFlight);
      St.promote(tx, St.look(tx, row.provider), this.env.log);
      return true;
    });
  }

  /** Tells every process that `provider` answered 429: no grants for `retryAfter` ms. */
  report429(provider: string, retryAfter: number = DEFAULT_RETRY_AFTER_MS): number {
    V.text('provider', provider, 1);
    const ms = Math.round(V.duration('retryAfter', retryAfter, MAX_RETRY_AFTER_MS));
    return this.write('report a 429', (tx) => {
      St.record429(tx, provider, tx.now + ms, '429 reported', tx.now);
      this.settle(tx, provider, false);
      return tx.now + ms;
    });
  }

  /**
   * Shares what a provider's response headers say with every process: OpenAI's
   * `x-ratelimit-*`, Anthropic's `anthropic-ratelimit-*` (the remaining counts gate later grants
   * until their reset) and `retry-after` (a pause of the provider, as a 429). Headers it cannot
   * read are ignored with one debug line.
   */
  observe(provider: string, model: string | undefined, headers: HeaderSource): Observation {
    V.text('provider', provider, 1);
    const m = V.model(provider, model ?? '');
    if (headers == null || typeof headers !== 'object') throw new TypeError(`headers must be a Headers object, a Map or a plain object (was ${headers === null ? 'null' : typeof headers})`);
    const now = this.clock();
    const r = readRateLimitHeaders(headers, now, (msg) => this.logFn('debug', msg));
    if (r.requestsRemaining >= 0 || r.tokensRemaining >= 0) {
      this.write("record the provider's word", (tx) => {
        tx.run(S.UPSERT_WORD, provider, m, r.requestsRemaining, r.requestsResetAfterMs, r.tokensRemaining, r.tokensResetAfterMs, tx.now);
        this.settle(tx, provider, false);
      });
    }
    let pausedUntilMs: number | null = null;
    if (r.retryAfterMs >= 0) pausedUntilMs = this.report429(provider, Math.min(r.retryAfterMs, MAX_RETRY_AFTER_MS));
    return {
      requestsRemaining: r.requestsRemaining,
      requestsResetAtMs: r.requestsRemaining < 0 ? null : now + r.requestsResetAfterMs,
      tokensRemaining: r.tokensRemaining,
      tokensResetAtMs: r.tokensRemaining < 0 ? null : now + r.tokensResetAfterMs,
      pausedUntilMs,
    };
  }

  // ---- waiting ----------------------------------------------------------------------------

  private schedule() {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private finish(p: Pending, lease: Lease | null, error?: unknown) {
    if (p.done) return;
    p.done = true;
    this.pending.delete(p.token);
    if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
    if (lease) {
      this.held.set(lease.token, lease);
      this.emit('granted', { lease, waitedMs: monotonic() - p.startedAt } satisfies GrantedEvent);
      p.resolve(lease);
    } else p.reject(error);
    if (this.pending.size === 0) this.stopWaiting();
  }

  private leaseFor(p: Pending, id: number, acquiredAt: number, tokens?: number) {
    return new Lease(this, p.token, id, p.provider, p.model, p.weight, tokens ?? p.tokens ?? 0, acquiredAt);
  }

  /** Cancel: leave the queue; a lease granted meanwhile is returned. */
  private cancel(p: Pending): Lease | null {
    const me = this.id;
    const row = this.write('cancel a queued request', (tx) => {
      if (tx.run('DELETE FROM queue WHERE token = ?', p.token)) return null;
      return tx.one('SELECT id, acquired_at_ms AS at, tokens FROM leases WHERE token = ? AND owner_id = ?', p.token, me);
    });
    return row ? this.leaseFor(p, row.id, row.at, row.tokens) : null;
  }

  private abort(p: Pending) {
    if (p.done) return;
    let got: Lease | null = null;
    try {
      got = this.cancel(p);
    } catch (e) {
      this.finish(p, null, e);
      return;
    }
    this.finish(p, null, p.signal!.reason);
    if (got) got.release('cancelled');
  }

  /** One look at every waiting request: hand over grants, queue again what went missing,
   * settle when a settle is due, then sleep until the next cue. */
  private dispatch() {
    if (this.closed || this.pending.size === 0) return;
    try {
      this.lastDataVersion = this.dataVersion();
      for (let round = 0; round < 4; round++) {
        const settleDue = this.lookOnce();
        if (!settleDue.length) break;
        this.write('settle', (tx) => {
          for (const p of settleDue) this.settle(tx, p, true);
        });
      }
    } catch (e) {
      for (const p of [...this.pending.values()]) this.finish(p, null, e);
      return;
    }
    this.arm();
  }

  private nextAt: number | null = null;
  private unwatched = false;

  /** Reads, and returns the providers whose settle is due. */
  private lookOnce(): string[] {
    const me = this.id!;
    const byProvider = new Map<string, Pending[]>();
    for (const p of this.pending.values()) {
      const list = byProvider.get(p.provider) ?? [];
      list.push(p);
      byProvider.set(p.provider, list);
    }
    const missing: Pending[] = [];
    const due: string[] = [];
    let nextAt: number | null = null;
    const owners: Array<{ pid: number; token: string }> = [];
    const granted: Array<[Pending, any]> = [];
    this.read('check the queue', (tx) => {
      const leases = new Map(tx.all('SELECT token, id, acquired_at_ms AS at, tokens FROM leases WHERE owner_id = ?', me).map((r) => [r.token, r]));
      const queued = new Set(tx.all<{ token: string }>('SELECT token FROM queue WHERE owner_id = ?', me).map((r) => r.token));
      for (const [provider, list] of byProvider) {
        let waiting = false;
        for (const p of list) {
          const l = leases.get(p.token);
          if (l) granted.push([p, l]);
          else if (!queued.has(p.token)) missing.push(p);
          else waiting = true;
        }
        if (!waiting) continue;
        const look = this.check(tx, provider);
        if (look.due) due.push(provider);
        if (look.nextAt != null) nextAt = nextAt == null ? look.nextAt : Math.min(nextAt, look.nextAt);
        owners.push(...look.owners);
      }
    });
    for (const [p, l] of granted) this.finish(p, this.leaseFor(p, l.id, l.at, l.tokens));
    for (const p of missing) this.requeue(p);
    this.nextAt = nextAt;
    this.polled = owners;
    return due;
  }

  /** A request another process reclaimed (usually because this one was): queue it again, at
   * the back, under a fresh token. */
  private requeue(p: Pending) {
    this.pending.delete(p.token);
    try {
      const out = this.submit(p, true);
      if (out.kind === 'granted') {
        p.done = true;
        if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
        this.emit('granted', { lease: out.lease, waitedMs: monotonic() - p.startedAt });
        p.resolve(out.lease);
        return;
      }
      if (out.kind === 'queued') p.token = out.token;
      this.pending.set(p.token, p);
    } catch (e) {
      this.pending.set(p.token, p);
      this.finish(p, null, e);
    }
  }

  /** The read-only check of a waited-on provider (migrations/README.md, "Check where my
   * requests stand" and "Waiting, in version 4"). */
  private check(tx: Tx, provider: string): Look {
    const now = tx.now;
    const st = St.look(tx, provider);
    const [grants, plan, rows] = St.dryRun(tx, st);
    let due = grants || st.anyExpired || st.rowsAhead || st.processesAhead || st.ledgerExpired;
    const times: Array<number | null> = [];
    times.push(tx.one('SELECT min(cool_until_ms) AS t FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms > ?', provider, now)?.t ?? null);
    if (st.pausedUntil) times.push(st.pausedUntil);
    if (st.validUntil) times.push(st.validUntil);
    times.push(St.budgetFreesAt(tx, st, plan), plan.wordResetAt);
    if (st.queued > 1) {
      for (const r of rows) {
        const cls = PRIORITIES.indexOf(r.priority);
        const waited = Math.max(0, now - r.queuedAt);
        if (cls - Math.min(3, Math.floor(waited / st.agingMs)) > 0) times.push(r.queuedAt + (Math.floor(waited / st.agingMs) + 1) * st.agingMs);
      }
    }
    const owners: Array<{ pid: number; token: string }> = [];
    for (const o of tx.all(
      `SELECT p.id, p.host_id AS hostId, p.pid, p.start_token AS token, p.expires_at_ms AS expires FROM processes p WHERE p.id IN
         (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL UNION SELECT owner_id FROM queue WHERE provider = ?)`,
      provider,
      provider,
    )) {
      if (o.id === this.id) continue;
      if (o.hostId !== this.myHostId) {
        times.push(o.expires + 1);
        continue;
      }
      if (!I.alive(o.pid, o.token)) due = true;
      else owners.push({ pid: o.pid, token: o.token });
    }
    const ts = times.filter((t): t is number => t != null);
    return { due, nextAt: ts.length ? Math.min(...ts) : null, owners };
  }

  /** Sleep until the next cue: the timer for the next change (and the safety re-check, and
   * deadlines), and the /proc poll of owners on this host. */
  private arm() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const nowMono = monotonic();
    let sleep = this.watcher ? RECHECK_WATCHED_MS : RECHECK_UNWATCHED_MS;
    if (this.nextAt != null) sleep = Math.min(sleep, Math.max(0, this.nextAt - this.clock()));
    for (const p of this.pending.values()) {
      if (p.deadline == null) continue;
      if (p.deadline <= nowMono) {
        this.expire(p);
        continue;
      }
      sleep = Math.min(sleep, p.deadline - nowMono);
    }
    if (this.pending.size === 0) return;
    // The ref'd timer is what keeps the process alive while it waits for a lease.
    this.timer = setTimeout(() => this.dispatch(), Math.ceil(sleep));
    const wanted = new Set(this.polled.map((o) => `${o.pid}/${o.token}`));
    for (const [key, probe] of this.probes) {
      if (!wanted.has(key)) {
        probe.close();
        this.probes.delete(key);
      }
    }
    for (const o of this.polled) {
      const key = `${o.pid}/${o.token}`;
      if (!this.probes.has(key)) this.probes.set(key, new I.ProcessProbe(o.pid, o.token));
    }
    if (this.probes.size && !this.poller) {
      this.poller = setInterval(() => {
        for (const probe of this.probes.values()) {
          if (!probe.alive()) {
            this.schedule(); // a death hint: check, then settle with reap
            return;
          }
        }
      }, DEATH_POLL_MS);
      this.poller.unref();
    } else if (!this.probes.size && this.poller) {
      clearInterval(this.poller);
      this.poller = null;
    }
  }

  private expire(p: Pending) {
    let got: Lease | null = null;
    try {
      got = this.cancel(p);
    } catch (e) {
      this.finish(p, null, e);
      return;
    }
    if (got) {
      this.finish(p, got);
      return;
    }
    let detail = '';
    try {
      detail = this.read('describe the state', (tx) => {
        const st = St.look(tx, p.provider);
        const limit = st.limitInForce() ?? 'none';
        return ` (limit=${limit}, active=${st.active}, cooling=${st.cooling}, queued=${st.queued}, paused=${st.paused || st.pausedUntil > 0})`;
      });
    } catch {
      // the timeout is the news
    }
    const key = p.model ? `${p.provider}/${p.model}` : p.provider;
    this.finish(p, null, new LeaseTimeoutError(`no lease for '${I.printable(key)}' after ${Math.round(p.deadline! - p.startedAt)} ms${detail}`));
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Commit hints: fs.watch (inotify) on the config root for limiter.db-wal and a new
   * limiter.db, each confirmed by PRAGMA data_version (the event comes before the commit is
   * visible to readers: look again after 1, 1, 2 … 256 ms). */
  private startWatching() {
    if (this.watcher) return;
    try {
      this.watcher = fs.watch(this.home, { persistent: false }, (event, name) => {
        if (name === 'limiter.db-wal' || (name === 'limiter.db' && event === 'rename') || name == null) this.confirm();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // no inotify: the re-check every second covers commits
    }
  }

  private stopWaiting() {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.polled = [];
    for (const probe of this.probes.values()) probe.close();
    this.probes.clear();
  }

  private confirm() {
    if (this.confirming || this.closed || this.pending.size === 0) return;
    this.confirming = true;
    let step = 0;
    const look = () => {
      if (this.closed) return;
      let moved = false;
      try {
        moved = this.dataVersion() !== this.lastDataVersion;
      } catch {
        moved = true;
      }
      if (moved || step >= CONFIRM_STEPS_MS.length - 1) {
        this.confirming = false;
        if (moved) this.schedule();
        return;
      }
      step += 1;
      setTimeout(look, CONFIRM_STEPS_MS[step]).unref();
    };
    look();
  }

  /** The wake socket procs/<id>.sock: whoever grants one of my queued requests connects after
   * committing and names the grants; anything else on it makes me read. */
  private bindSocket() {
    if (this.server || this.id == null) return;
    const file = path.join(this.procs, `${this.id}.sock`);
    try {
      fs.unlinkSync(file);
    } catch {
      // none: fine
    }
    const server = net.createServer((c) => {
      const chunks: Buffer[] = [];
      c.setTimeout(1000, () => c.destroy());
      c.on('data', (d) => chunks.push(d));
      c.on('error', () => c.destroy());
      c.on('close', () => this.woken(Buffer.concat(chunks).toString('latin1')));
    });
    server.on('error', () => {
      server.close();
      if (this.server === server) this.server = null;
    });
    try {
      server.listen(file, () => {
        try {
          fs.chmodSync(file, 0o600);
        } catch {
          // gone already
        }
      });
      server.unref();
      this.server = server;
    } catch {
      // a path too long for sun_path: do without; commit hints still wake this process
    }
  }

  private woken(message: string) {
    const lines = message.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let readNeeded = lines.length === 0;
    for (const line of lines) {
      const m = /^grant ([0-9A-Za-z_-]{16,64}) ([0-9]+) ([0-9]+)$/.exec(line);
      const p = m ? this.pending.get(m[1]) : undefined;
      if (!m || !p) {
        readNeeded = true;
        continue;
      }
      this.finish(p, this.leaseFor(p, Number(m[2]), Number(m[3])));
    }
    if (readNeeded) this.schedule();
  }

  // ---- status -----------------------------------------------------------------------------

  /** A point-in-time snapshot of every provider, held lease and queued request (after
   * reclaiming what is dead or expired, as `inflight status` does). */
  status(): Status {
    this.write('reclaim stale leases', (tx) => {
      const touched = new Set<string>();
      for (const r of tx.all('SELECT id, pid, start_token AS token FROM processes WHERE host_id = ?', this.myHostId)) {
        if (r.id !== this.id && !I.alive(r.pid, r.token)) for (const p of St.freeProcess(tx, r.id, this.procs)) touched.add(p);
      }
      const expired = tx.one('SELECT 1 AS x FROM processes WHERE expires_at_ms < ?', tx.now);
      const providers = tx.all<{ provider: string }>('SELECT DISTINCT provider FROM leases UNION SELECT provider FROM queue').map((r) => r.provider);
      for (const p of new Set([...touched, ...providers])) this.settle(tx, p, false);
      return expired;
    });
    return this.read('read the status', (tx) => {
      const names = tx
        .all<{ provider: string }>(
          `SELECT provider FROM limits UNION SELECT provider FROM leases UNION SELECT provider FROM queue
           UNION SELECT provider FROM admission WHERE paused_until_ms > ?1 OR upstream_valid_until_ms > ?1 ORDER BY provider`,
          tx.now,
        )
        .map((r) => r.provider);
      const providers = names.map((name) => {
        const st = St.look(tx, name, false);
        return {
          provider: name,
          limit: st.limitInForce(),
          maxInFlight: st.limit,
          active: st.active,
          cooling: st.cooling,
          queued: st.queued,
          paused: st.paused,
          pausedUntilMs: st.pausedUntil || null,
          pauseReason: st.pauseReason || null,
        };
      });
      const leases = tx.all(
        `SELECT l.id, l.provider, l.model, l.weight, l.label, l.pid, p.name AS process, p.host, l.acquired_at_ms AS acquiredAtMs,
                ? - l.acquired_at_ms AS heldMs
           FROM leases l JOIN processes p ON p.id = l.owner_id WHERE l.released_at_ms IS NULL ORDER BY l.id`,
        tx.now,
      );
      const queue = tx.all(
        `SELECT q.ticket, q.provider, q.model, q.weight, q.priority, q.label, q.pid, p.name AS process, q.queued_at_ms AS queuedAtMs
           FROM queue q LEFT JOIN processes p ON p.id = q.owner_id ORDER BY q.provider, q.ticket`,
      );
      return { takenAtMs: tx.now, providers, leases, queue };
    });
  }

  // ---- closing ----------------------------------------------------------------------------

  /** Deregisters: frees everything this process still holds or waits for (waiting requests
   * reject). Runs by itself at process exit. A second close does nothing. */
  close(): void {
    if (this.closed) return;
    process.removeListener('exit', this.onExit);
    const error = new DatabaseError(`this Limiter on ${this.file} was closed while the request waited`, this.file);
    for (const p of [...this.pending.values()]) this.finish(p, null, error);
    this.stopWaiting();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const me = this.id;
    try {
      if (me != null) {
        this.write('deregister', (tx) => {
          for (const q of [...St.freeProcess(tx, me, null)].sort()) this.settle(tx, q, false);
        });
      }
    } finally {
      this.closed = true;
      for (const lease of this.held.values()) lease.released = true;
      this.held.clear();
      if (this.server) {
        this.server.close();
        this.server = null;
      }
      if (me != null) {
        unlinkQuietly(path.join(this.procs, `${me}.sock`));
        if (this.lockDb) {
          this.lockDb.close();
          this.lockDb = null;
        }
        unlinkQuietly(path.join(this.procs, `${me}.lock`));
      }
      this.db.close();
    }
  }
}

export interface Status {
  takenAtMs: number;
  providers: Array<{
    provider: string;
    limit: number | null;
    maxInFlight: number | null;
    active: number;
    cooling: number;
    queued: number;
    paused: boolean;
    pausedUntilMs: number | null;
    pauseReason: string | null;
  }>;
  leases: Array<{ id: number; provider: string; model: string; weight: number; label: string; pid: number; process: string; host: string; acquiredAtMs: number; heldMs: number }>;
  queue: Array<{ ticket: number; provider: string; model: string; weight: number; priority: Priority; label: string; pid: number; process: string | null; queuedAtMs: number }>;
}

/**
 * Whether SQLite says the file is in WAL mode (a fresh or empty file is not). Asked of SQLite
 * rather than read through a descriptor of our own: closing any descriptor of the file drops every
 * POSIX lock this process holds on it, SQLite's included, and a second Limiter in a process would
 * then let another process's last close delete the -wal and -shm the first still uses. SQLite's
 * connections share their locks per file within the process and close without that harm.
 */
function inWalMode(db: string): boolean {
  if (fs.statSync(db).size === 0) return false;
  try {
    const probe = new Database(db, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    try {
      return String(probe.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    } finally {
      probe.close();
    }
  } catch {
    return false; // not a database, or busy: said as "not in WAL mode yet" below
  }
}

function isDir(p: string) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function unlinkQuietly(p: string) {
  try {
    fs.unlinkSync(p);
  } catch {
    // gone already
  }
}

function readMarker(marker: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(marker, 'ascii');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('id=')) return t.slice(3).trim();
  }
  return null;
}
