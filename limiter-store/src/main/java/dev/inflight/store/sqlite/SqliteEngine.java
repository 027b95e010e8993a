package dev.inflight.store.sqlite;

import dev.inflight.store.AcquireRequest;
import dev.inflight.store.EngineConfig;
import dev.inflight.store.LazyLogger;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitChange;
import dev.inflight.store.Liveness;
import dev.inflight.store.ModelLimitChange;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.Registration;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Glance;
import dev.inflight.store.Rows.Heartbeat;
import dev.inflight.store.Rows.HeldLease;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ModelLimitRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.UpstreamRecord;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.Signals;
import dev.inflight.store.UpstreamSample;
import dev.inflight.store.sql.Protocol;
import dev.inflight.store.sql.Reclaim;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SQLite engine: one database file in WAL mode on this machine, {@code BEGIN IMMEDIATE}
 * transactions, inotify on the file's directory for commits, and a POSIX lock on {@code
 * procs/<id>.lock} as each process's proof of life. migrations/README.md is its specification.
 */
public final class SqliteEngine implements LeaseEngine {
  /** The newest schema this code knows; must equal the highest V migration. */
  public static final int SCHEMA_VERSION = 4;

  static final System.Logger LOG =
      new LazyLogger("dev.inflight.store", () -> System.getLogger("dev.inflight.store"));

  private final Database db;
  private final LockFiles files;
  private final Protocol sql;
  private final CommitWatcher commits;
  private final WakeSockets wakes;
  private final SqliteSignals signals;

  /** The files as this engine opened them. */
  private final Integrity integrity;

  /**
   * This process's liveness locks, one per registered process id; a concurrent map, since register,
   * heartbeat and deregister may run on any thread.
   */
  private final Map<Long, LockFiles.Presence> presences = new ConcurrentHashMap<>();

  private SqliteEngine(Database db, EngineConfig config) {
    this.db = db;
    this.files = new LockFiles(db.file());
    String here = config.hostId();
    Liveness liveness = config.liveness();
    // An expired process keeps its rows when it runs on this host and holds its lock file.
    Reclaim.Proof proof =
        (tx, id, host, pid, token) ->
            here.equals(host) && liveness.isAlive(pid, token) && files.heldBy(id, pid);
    this.sql = new Protocol(here, liveness, proof, db.file().toString(), Database.DIALECT);
    this.commits = new CommitWatcher(db.file());
    this.wakes = new WakeSockets(files);
    db.onGranted(wakes::wake);
    this.signals = new SqliteSignals(db, files, commits, wakes);
    this.integrity = new Integrity(db.file());
  }

  /** Opens (creating and migrating when needed) the database file of {@code config}. */
  public static SqliteEngine open(EngineConfig config) {
    NativeLibrary.prepare();
    Path file = config.file().toAbsolutePath().normalize();
    Duration busy = config.busyTimeout();
    LockFiles files = new LockFiles(file);
    Marker marker = new Marker(file, files.marker());
    Opening.prepare(file, files, marker);
    Opening.checkNotSplit(file, files);
    if (!Opening.inWalMode(file)) {
      // A fresh or emptied file: WAL mode and the schema are set up under the migration lock, so
      // that processes opening it at the same moment never race to change its journal mode.
      Migrations.migrate(file, busy, files, marker, SCHEMA_VERSION);
    }
    Database db = Database.start(file, busy, config.clock());
    try {
      SqliteEngine engine = new SqliteEngine(db, config);
      Opened opened = engine.readOpened();
      if (opened.version() != SCHEMA_VERSION) {
        Migrations.migrate(file, busy, files, marker, SCHEMA_VERSION);
        opened = engine.readOpened();
      }
      marker.check(opened.databaseId());
      return engine;
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** What one read at opening learns: the schema version, and (when current) the database's id. */
  private record Opened(int version, String databaseId) {}

  /**
   * Reads the schema version and, when it is current, the database's id, and warms up the hot path
   * in the same read transaction: its classes are loaded and its statements prepared, so that the
   * first write transaction of a fresh process does not do it while holding the write lock (on a
   * loaded machine that took long enough for other processes to time out).
   */
  private Opened readOpened() {
    return db.read(
        "open",
        tx -> {
          int version = (int) tx.queryLong("PRAGMA user_version", 0);
          if (version != SCHEMA_VERSION) {
            return new Opened(version, "");
          }
          String id;
          try (java.sql.ResultSet rs =
              tx.query("SELECT database_id FROM database_info WHERE id = 1")) {
            id = rs.next() ? rs.getString(1) : "";
          }
          sql.warm(tx);
          return new Opened(version, id);
        });
  }

  @Override
  public String location() {
    return db.file().toString();
  }

  @Override
  public Optional<Path> file() {
    return Optional.of(db.file());
  }

  // ---------------------------------------------------------------- processes

  @Override
  public long register(Registration r) {
    long id = db.write("register a process in", tx -> sql.register(tx, r));
    LockFiles.Presence old = presences.remove(id);
    if (old != null) {
      old.close(); // its file was deleted by whoever reclaimed us: lock a new one
    }
    try {
      presences.put(id, files.hold(id));
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "cannot hold the liveness lock "
              + files.processLock(id)
              + " ("
              + e
              + "); other processes will notice this process's death at their periodic check"
              + " instead of at once");
    }
    if (wakes.knows(id)) {
      wakes.listen(id); // registered again after a reclaim: its socket file may be gone
    }
    return id;
  }

  @Override
  public Heartbeat heartbeat(long processId, Duration ttl) {
    boolean alive = db.write("heartbeat in", tx -> sql.heartbeat(tx, processId, ttl.toMillis()));
    integrity.check();
    if (alive) {
      wakes.keepListening(processId);
    }
    db.checkpoint(); // off every request's path (see Database.connectionConfig)
    return alive ? Heartbeat.ALIVE : Heartbeat.GONE;
  }

  @Override
  public void deregister(long processId) {
    try {
      db.write(
          "deregister a process from",
          tx -> {
            sql.deregister(tx, processId);
            return null;
          });
    } finally {
      wakes.stop(processId);
      LockFiles.Presence p = presences.remove(processId);
      if (p != null) {
        p.close();
      }
      files.delete(processId);
    }
  }

  // ---------------------------------------------------------------- leases

  @Override
  public AcquireOutcome acquire(AcquireRequest r) {
    AcquireOutcome o = db.write("acquire a lease in", tx -> sql.acquire(tx, r));
    cleaned(o.reclaimed());
    if (o.kind() == AcquireOutcome.Kind.QUEUED && !wakes.knows(r.ownerId())) {
      // Only a queued request can be granted by someone else: a process whose requests are all
      // granted at once (a script's `inflight run`, mostly) never needs to be woken and pays for
      // no socket. A grant made between this commit and the bind is not lost: this is the
      // process's first queued request, and a waiter's first look reads what it holds.
      wakes.listen(r.ownerId());
    }
    return o;
  }

  @Override
  public ReleaseOutcome release(ReleaseRequest r) {
    return db.write("release a lease in", tx -> sql.release(tx, r));
  }

  @Override
  public CancelOutcome cancel(String token) {
    return db.write("leave the queue in", tx -> sql.cancel(tx, token));
  }

  @Override
  public Optional<LeaseRow> forceRelease(long leaseId) {
    return db.write("force-release a lease in", tx -> sql.forceRelease(tx, leaseId));
  }

  @Override
  public Optional<HeldLease> heldLease(String token) {
    return db.read("read a lease in", tx -> sql.heldLease(tx, token));
  }

  // ---------------------------------------------------------------- waiting

  @Override
  public WaitCheck check(long ownerId, Collection<String> tokens) {
    return db.read("read the queue in", tx -> sql.check(tx, ownerId, tokens));
  }

  @Override
  public Map<String, TokenState> granted(long ownerId, Collection<String> tokens) {
    return db.read("read the queue in", tx -> sql.granted(tx, ownerId, tokens));
  }

  @Override
  public Glance glance(long ownerId, Collection<String> tokens, Collection<String> providers) {
    return db.read("read the queue in", tx -> sql.glance(tx, ownerId, tokens, providers));
  }

  @Override
  public List<Reclaimed> settle(Collection<String> providers) {
    List<Reclaimed> reclaimed = db.write("update the queue in", tx -> sql.settle(tx, providers));
    return cleaned(reclaimed);
  }

  @Override
  public Signals signals() {
    return signals;
  }

  // ---------------------------------------------------------------- upstream admission

  @Override
  public ProviderState recordWord(dev.inflight.store.UpstreamWord w) {
    return db.write("record the provider's word in", tx -> sql.recordWord(tx, w));
  }

  @Override
  public ProviderState report429(RateLimitReport r) {
    return db.write("record a 429 in", tx -> sql.report429(tx, r));
  }

  @Override
  public UpstreamRecord recordUpstream(UpstreamSample s) {
    UpstreamRecord r = db.write("record upstream usage in", tx -> sql.recordUpstream(tx, s));
    cleaned(r.reclaimed());
    return r;
  }

  // ---------------------------------------------------------------- limits

  @Override
  public List<LimitRow> limits() {
    return db.read("read the limits in", sql::limits);
  }

  @Override
  public Optional<LimitRow> limit(String provider) {
    return db.read("read a limit in", tx -> sql.limit(tx, provider));
  }

  @Override
  public LimitRow setLimit(LimitChange c) {
    return db.write("set a limit in", tx -> sql.setLimit(tx, c));
  }

  @Override
  public List<ModelLimitRow> modelLimits() {
    return db.read("read the model limits in", sql::modelLimits);
  }

  @Override
  public ModelLimitRow setModelLimit(ModelLimitChange c) {
    return db.write("set a model limit in", tx -> sql.setModelLimit(tx, c));
  }

  @Override
  public boolean unsetModelLimit(String provider, String model) {
    return db.write("remove a model limit in", tx -> sql.unsetModelLimit(tx, provider, model));
  }

  @Override
  public boolean unsetLimit(String provider) {
    return db.write("remove a limit in", tx -> sql.unsetLimit(tx, provider));
  }

  @Override
  public boolean pause(String provider) {
    return db.write("pause a provider in", tx -> sql.pause(tx, provider));
  }

  @Override
  public boolean resume(String provider) {
    return db.write("resume a provider in", tx -> sql.resume(tx, provider));
  }

  // ---------------------------------------------------------------- status

  @Override
  public List<Reclaimed> reapAll() {
    List<Reclaimed> reclaimed = db.write("reclaim stale leases in", sql::reapAll);
    return cleaned(reclaimed);
  }

  @Override
  public Snapshot snapshot() {
    Snapshot s = db.read("read the status of", sql::snapshot);
    integrity.check();
    return s;
  }

  @Override
  public void close() {
    commits.close();
    wakes.close();
    for (LockFiles.Presence p : presences.values()) {
      p.close();
    }
    presences.clear();
    db.close();
  }

  // ---------------------------------------------------------------- helpers

  /** Reclaimed processes lose their lock files (after the commit that reclaimed them). */
  private List<Reclaimed> cleaned(List<Reclaimed> reclaimed) {
    for (Reclaimed r : reclaimed) {
      files.delete(r.whose().id());
    }
    return reclaimed;
  }
}
