package dev.inflight.store.sqlite;

import dev.inflight.store.AcquireRequest;
import dev.inflight.store.EngineConfig;
import dev.inflight.store.LazyLogger;
import dev.inflight.store.Liveness;
import dev.inflight.store.Registration;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.Heartbeat;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.UpstreamRecord;
import dev.inflight.store.Signals;
import dev.inflight.store.UpstreamSample;
import dev.inflight.store.sql.Protocol;
import dev.inflight.store.sql.Reclaim;
import dev.inflight.store.sql.SqlEngine;
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
public final class SqliteEngine extends SqlEngine {
  /** The newest schema this code knows; must equal the highest V migration. */
  public static final int SCHEMA_VERSION = 5;

  static final System.Logger LOG =
      new LazyLogger("dev.inflight.store", () -> System.getLogger("dev.inflight.store"));

  private final Database db;
  private final LockFiles files;
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
    this(db, config, new LockFiles(db.file()));
  }

  private SqliteEngine(Database db, EngineConfig config, LockFiles files) {
    super(protocol(db, config, files));
    this.db = db;
    this.files = files;
    this.commits = new CommitWatcher(db.file());
    this.wakes = new WakeSockets(files);
    db.onGranted(wakes::wake);
    this.signals = new SqliteSignals(db, files, commits, wakes);
    this.integrity = new Integrity(db.file());
  }

  private static Protocol protocol(Database db, EngineConfig config, LockFiles files) {
    String here = config.hostId();
    Liveness liveness = config.liveness();
    // An expired process keeps its rows when it runs on this host and holds its lock file.
    Reclaim.Proof proof =
        (tx, id, host, pid, token) ->
            here.equals(host) && liveness.isAlive(pid, token) && files.heldBy(id, pid);
    return new Protocol(here, liveness, proof, db.file().toString(), Database.DIALECT);
  }

  @Override
  protected <T> T write(String what, Work<T> work) {
    return db.write(what, work);
  }

  @Override
  protected <T> T read(String what, Work<T> work) {
    return db.read(what, work);
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

  // ---------------------------------------------------------------- waiting

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
  public UpstreamRecord recordUpstream(UpstreamSample s) {
    UpstreamRecord r = db.write("record upstream usage in", tx -> sql.recordUpstream(tx, s));
    cleaned(r.reclaimed());
    return r;
  }

  // ---------------------------------------------------------------- limits

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
