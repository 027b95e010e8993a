package dev.inflight.store.sqlite;

import dev.inflight.store.StoreException;
import dev.inflight.store.StoreException.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * {@code limiter.db.id}: says that a database existed here, and which. Written beside the file the
 * first time a database of schema version 3 or later is opened; never deleted by inflight. With it,
 * a database that was emptied, deleted or replaced is refused loudly, naming both files, instead of
 * being created afresh with every limit silently gone. Deleting the marker is how a user says
 * "start afresh".
 */
final class Marker {
  private final Path file;
  private final Path marker;

  Marker(Path file, Path marker) {
    this.file = file;
    this.marker = marker;
  }

  /** The id the marker holds, if there is a marker. */
  Optional<String> id() {
    try {
      for (String line : Files.readAllLines(marker, StandardCharsets.UTF_8)) {
        if (line.startsWith("id=")) {
          return Optional.of(line.substring(3).strip());
        }
      }
      return Optional.of("");
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("");
    }
  }

  boolean exists() {
    return Files.exists(marker);
  }

  /** A database was here and is gone or empty now: refuse, rather than start over. */
  StoreException lost(String how) {
    return new StoreException(
        file.toString(),
        Kind.EMPTIED,
        "the database "
            + file
            + " "
            + how
            + ", but "
            + marker
            + " says a database with limits existed there"
            + id().filter(s -> !s.isEmpty()).map(s -> " (id " + s + ")").orElse("")
            + ": its limits would be lost. Restore "
            + file.getFileName()
            + " from a backup, or delete "
            + marker
            + " to start afresh with no limits");
  }

  /** Records {@code id} as this place's database, or refuses a database that replaced it. */
  void check(String id) {
    Optional<String> known = id();
    if (known.isEmpty()) {
      write(id);
      return;
    }
    if (!known.get().equals(id)) {
      throw new StoreException(
          file.toString(),
          Kind.REPLACED,
          "the database "
              + file
              + " is not the one that was here: its id is "
              + id
              + ", and "
              + marker
              + " says "
              + (known.get().isEmpty() ? "something unreadable" : known.get())
              + ". If you replaced it on purpose, delete "
              + marker
              + "; otherwise restore the right file");
    }
  }

  private void write(String id) {
    try {
      Path dir = marker.getParent();
      Path tmp = Files.createTempFile(dir, marker.getFileName().toString(), ".tmp");
      Files.writeString(
          tmp,
          "# inflight: the database beside this file, "
              + file.getFileName()
              + ", was created here.\n"
              + "# If it goes missing or empty, inflight refuses to start over, so that no limit\n"
              + "# is lost silently. Delete this file to start afresh.\n"
              + "id="
              + id
              + "\n",
          StandardCharsets.UTF_8);
      if (PrivateFiles.posix(tmp)) {
        Files.setPosixFilePermissions(tmp, PrivateFiles.FILE_MODE);
      }
      Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      SqliteEngine.LOG.log(
          System.Logger.Level.WARNING,
          "cannot write "
              + marker
              + " ("
              + e
              + "); an emptied database could then not be told from a new one");
    }
  }
}
