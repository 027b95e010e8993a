package dev.inflight.cli;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.Limiter;
import dev.inflight.client.Text;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight release LEASE_ID}: frees a stuck lease, whoever holds it. */
@Command(
    name = "release",
    header = "Force-release a stuck lease by its id.",
    description = {
      "Force-releases the lease with id LEASE_ID (as 'inflight status' shows it), whoever holds"
          + " it, and prints what it released. The holder is not stopped; its own release later"
          + " finds the lease gone. Exits 1 when no active lease has that id."
    },
    footerHeading = "%nExample:%n",
    footer = "  inflight release 42")
final class ReleaseCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "LEASE_ID",
      description = "A lease id (a positive integer).")
  String leaseId;

  @Override
  public Integer call() {
    long id = parseId(leaseId);
    Inflight top = Inflight.of(spec);
    Optional<LeaseInfo> released;
    String db;
    try (Limiter limiter = top.open()) {
      released = limiter.forceRelease(id);
      db = limiter.database();
    }
    if (released.isEmpty()) {
      System.err.println("inflight: no active lease has id " + id + " (database " + db + ")");
      return ExitCodes.FAILURE;
    }
    LeaseInfo l = released.get();
    System.out.println(
        "released lease "
            + l.id()
            + " for '"
            + Text.printable(l.provider())
            + "' held by pid "
            + l.pid()
            + (l.label().isEmpty() ? "" : " ('" + Text.printable(l.label()) + "')")
            + " for "
            + Text.duration(l.held()));
    return ExitCodes.OK;
  }

  static long parseId(String text) {
    String t = text == null ? "" : text.strip();
    if (t.matches("[0-9]{1,18}")) {
      long id = Long.parseLong(t);
      if (id > 0) {
        return id;
      }
    }
    throw new IllegalArgumentException(
        "LEASE_ID must be a positive integer, as 'inflight status' shows it (was \""
            + text
            + "\")");
  }
}
