/** The only code that speaks SQL: the shared lease database. Used by dev.inflight.client. */
module dev.inflight.store {
  requires java.sql;
  requires java.logging;
  requires org.xerial.sqlitejdbc;
  requires com.zaxxer.hikari;
  requires flyway.core;

  exports dev.inflight.store;
}
