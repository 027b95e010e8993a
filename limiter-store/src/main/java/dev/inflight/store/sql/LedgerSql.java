package dev.inflight.store.sql;

/**
 * The three writes of ledger rows, against the engine's {@link Dialect#ledgerTable() table}. Reads
 * name {@code ledger} in both engines (a view in SQLite, which filters out the totals rows).
 *
 * <p>SQLite writes {@code ledger_rows} itself: through the view, each write would go through an
 * {@code INSTEAD OF} trigger (the view's rows copied aside, then one more statement per row), about
 * a fifth of a grant's cost. None of the three can touch a totals row: each is bounded by a start
 * time or keyed by a lease's own.
 *
 * @param insert a grant's row: provider, started_at_ms, lease_id, model, tokens
 * @param correct a release's real token count: tokens, then the row's key (provider, started_at_ms,
 *     lease_id). The row is found by its key, so a row pulled back from a clock ahead is not found
 *     and keeps its reservation: it never counts for less than it reserved
 * @param expire the rows that left the window: provider, the last start that no longer counts
 */
record LedgerSql(String insert, String correct, String expire) {

  private static final LedgerSql LEDGER = of("ledger");
  private static final LedgerSql LEDGER_ROWS = of("ledger_rows");

  /** The writes for {@code tx}'s engine. */
  static LedgerSql of(Tx tx) {
    return tx.dialect().ledgerTable().equals("ledger_rows") ? LEDGER_ROWS : LEDGER;
  }

  private static LedgerSql of(String table) {
    return new LedgerSql(
        "INSERT INTO "
            + table
            + " (provider, started_at_ms, lease_id, model, tokens)"
            + " VALUES (?, ?, ?, ?, ?)",
        "UPDATE "
            + table
            + " SET tokens = ? WHERE provider = ? AND started_at_ms = ? AND lease_id = ?",
        "DELETE FROM " + table + " WHERE provider = ? AND started_at_ms <= ?");
  }
}
