package dev.inflight.store.postgres;

import dev.inflight.store.AcquireRequest;
import dev.inflight.store.EngineConfig;
import dev.inflight.store.Registration;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.Heartbeat;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.UpstreamRecord;
import dev.inflight.store.Rows.WatchTarget;
import dev.inflight.store.Signals;
import dev.inflight.store.StoreException;
import dev.inflight.store.UpstreamSample;
import dev.inflight.store.sql.Protocol;
import dev.inflight.store.sql.Reclaim;
import dev.inflight.store.sql.SqlEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The PostgreSQL engine: one database shared by processes on many machines. Writers of different
 * providers run in parallel (an advisory transaction lock per provider); waiters learn of commits
 * through {@code LISTEN/NOTIFY}; each process proves it is alive with a session advisory lock, and
 * is reclaimed within {@link PgSession#GRACE_MS} of losing it. migrations/README.md ("PostgreSQL")
 * is its specification.
 */
public final class PostgresEngine extends SqlEngine {
  /** The newest schema this code knows, as on SQLite. */
  public static final int SCHEMA_VERSION = 4;

  private final PgDatabase db;
  private final PgSession session;
  private final long myPid = ProcessHandle.current().pid();

  private PostgresEngine(PgDatabase db, EngineConfig config) {
    super(protocol(db, config));
    this.db = db;
    this.session = new PgSession(db);
  }

  private static Protocol protocol(PgDatabase db, EngineConfig config) {
    // An expired process keeps its rows while its session holds its advisory lock, on any host.
    // With a clock a test injected, the server's own start time means nothing to its rows.
    long restartGraceS = config.systemClock() ? PgSession.GRACE_MS / 1000 : 0;
    Reclaim.Proof proof = (tx, id, host, pid, token) -> lockHeld(tx, id, restartGraceS);
    return new Protocol(config.hostId(), config.liveness(), proof, db.url().masked(), db.DIALECT);
  }

  @Override
  protected <T> T write(String what, Work<T> work) {
    return db.write(what, work);
  }

  @Override
  protected <T> T read(String what, Work<T> work) {
    return db.read(what, work);
  }

  /**
   * Whether a process proves it is alive: its session holds its advisory lock, or the server
   * started less than a grace period ago (after a restart every process has that long to connect
   * again and take its lock back).
   */
  private static final String LOCK_HELD =
      "SELECT CASE WHEN EXISTS (SELECT 1 FROM "
          + PgDatabase.LIVENESS_LOCKS
          + " AND objid = ?::BIGINT::OID)"
          + " OR clock_timestamp() - pg_postmaster_start_time() < make_interval(secs => ?)"
          + " THEN 1 ELSE 0 END";

  private static boolean lockHeld(dev.inflight.store.sql.Tx tx, long id, long restartGraceS)
      throws java.sql.SQLException {
    return tx.queryLong(LOCK_HELD, 0, id, restartGraceS) > 0;
  }

  /** Opens (creating the schema and migrating when needed) the database {@code config.url()}. */
  public static PostgresEngine open(EngineConfig config) {
    PgUrl url = PgUrl.parse(config.url());
    PgDatabase db = new PgDatabase(url, config.clock(), config.systemClock(), SCHEMA_VERSION);
    PgMigrations.migrate(db, SCHEMA_VERSION);
    PostgresEngine engine = new PostgresEngine(db, config);
    try {
      engine.db.read(
          "open",
          tx -> {
            engine.sql.warm(tx);
            return null;
          });
      engine.session.start();
      // Until the session is connected, this JVM's processes cannot prove they are alive.
      if (!engine.session.awaitConnected(10_000)) {
        throw new StoreException(
            url.masked(),
            StoreException.Kind.UNREACHABLE,
            "cannot open a session with the database "
                + url.where()
                + " within 10 s; check that PostgreSQL runs there and accepts connections");
      }
      return engine;
    } catch (RuntimeException e) {
      engine.session.close();
      db.close();
      throw e;
    }
  }

  @Override
  public String location() {
    return db.url().masked();
  }

  @Override
  public Optional<Path> file() {
    return Optional.empty();
  }

  // ---------------------------------------------------------------- processes

  @Override
  public long register(Registration r) {
    long id = write("register a process in", tx -> sql.register(tx, r));
    if (r.who().pid() == myPid) {
      session.hold(id); // only this OS process can prove itself alive from this session
    }
    return id;
  }

  @Override
  public Heartbeat heartbeat(long processId, Duration ttl) {
    // A row that is gone was reclaimed (its session was away for longer than the grace period):
    // the heartbeat then says GONE, and the client treats its leases as lost and says so.
    boolean mine = session.holds(processId);
    long ttlMs = mine ? Math.min(ttl.toMillis(), PgSession.GRACE_MS) : ttl.toMillis();
    boolean alive = write("heartbeat in", tx -> sql.heartbeat(tx, processId, ttlMs));
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
      session.release(processId);
    }
  }

  // ---------------------------------------------------------------- leases

  @Override
  public AcquireOutcome acquire(AcquireRequest r) {
    return write("acquire a lease in", tx -> sql.acquire(tx, r));
  }

  // ---------------------------------------------------------------- waiting

  @Override
  public List<Reclaimed> settle(Collection<String> providers) {
    return write("update the queue in", tx -> sql.settle(tx, providers));
  }

  @Override
  public Signals signals() {
    return new Signals() {
      @Override
      public CommitWatch onCommit(Runnable onCommit) {
        return session.onCommitOf(changed -> onCommit.run());
      }

      @Override
      public CommitWatch onCommitOf(java.util.function.Consumer<java.util.Set<String>> onCommit) {
        return session.onCommitOf(onCommit);
      }

      @Override
      public boolean commitsWatched() {
        return session.connected();
      }

      @Override
      public AutoCloseable onWake(
          java.util.function.Consumer<List<dev.inflight.store.Rows.Grant>> w) {
        return session.onWake(w);
      }

      @Override
      public boolean wakeable() {
        return session.connected();
      }

      @Override
      public long commitCount() {
        return session.commitCount();
      }

      @Override
      public OwnerWatch watch(WatchTarget owner, Runnable onGone) {
        return session.watch(owner.processId(), onGone);
      }
    };
  }

  // ---------------------------------------------------------------- upstream admission

  @Override
  public UpstreamRecord recordUpstream(UpstreamSample s) {
    return write("record upstream usage in", tx -> sql.recordUpstream(tx, s));
  }

  // ---------------------------------------------------------------- status

  @Override
  public List<Reclaimed> reapAll() {
    return write("reclaim stale leases in", sql::reapAll);
  }

  @Override
  public Snapshot snapshot() {
    return read("read the status of", sql::snapshot);
  }

  @Override
  public void close() {
    session.close();
    db.close();
  }
}
