/**
 * The lease protocol's engines: the only code that speaks SQL, knows the tables, the lock files and
 * how liveness is proven. Its API is for dev.inflight.client alone; everyone else enters through
 * the client's Limiter.
 */
module dev.inflight.store {
  requires java.sql;
  requires java.logging;
  requires org.xerial.sqlitejdbc;
  requires flyway.core;
  requires org.postgresql.jdbc;

  exports dev.inflight.store to
      dev.inflight.client;
}
