package dev.inflight.store.sql;

import java.sql.SQLException;

/**
 * What differs between the engines that run this package's SQL: how parameters are numbered, which
 * failures are the database refusing a row, how a person edits the database by hand, and how a
 * transaction takes the right to grant at a provider.
 *
 * <p>The SQL itself is written once, in the subset both SQLite and PostgreSQL run: explicit {@code
 * = 1} for flags, {@code coalesce}, {@code ON CONFLICT … DO UPDATE}, {@code RETURNING}, and the
 * two-argument {@code max}/{@code min} and {@code hex} that the PostgreSQL schema defines as
 * functions of its own (see migrations/README.md, "PostgreSQL").
 */
public interface Dialect {

  /** Whether the driver understands SQLite's numbered parameters ({@code ?1}); else Tx rewrites. */
  boolean numberedParameters();

  /** Whether a failure of one statement is the database refusing a row (not the transaction). */
  boolean refused(SQLException e);

  /** The tool a person runs, before the database's location, to fix a bad row by hand. */
  String handEditCommand();

  /**
   * Takes, inside {@code tx}, the right to grant at {@code provider} until the transaction ends,
   * and returns the time to use from then on. SQLite's {@code BEGIN IMMEDIATE} already holds the
   * one write lock: it returns {@code tx.now()}.
   */
  long lockProvider(Tx tx, String provider) throws SQLException;

  /**
   * The table ledger rows are written to. In PostgreSQL that is {@code ledger}; SQLite's schema
   * (V5) keeps them in {@code ledger_rows} beside their running totals, and {@code ledger} there is
   * a view whose writes cost a trigger more (see {@link LedgerSql}).
   */
  String ledgerTable();
}
