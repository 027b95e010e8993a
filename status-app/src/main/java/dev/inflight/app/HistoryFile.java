package dev.inflight.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The charts' history kept between starts, in a private file of the app's own beside the database
 * ({@code app-history.txt} beside {@code limiter.db}; {@code app-history-<hash>.txt} in the local
 * config root for a database URL, the hash of the URL as shown, password masked). Never in the
 * limiter database: a write there wakes every waiting process.
 *
 * <p>Text, one run of equal seconds a line, so an idle hour costs a line: {@code r START COUNT
 * ACTIVE QUEUED LIMIT} under {@code p PROVIDER}. The file names the database it describes; a file
 * that is unreadable, truncated, too large or about another database is ignored (the app starts
 * with an empty history and says so in one log line). Written whole and moved into place, mode
 * 0600.
 */
final class HistoryFile {
  static final String MAGIC = "inflight-app-history 1";
  static final String FILE = "app-history.txt";

  /** Larger than an hour of thirty busy providers needs; a larger file is not ours. */
  static final long MAX_BYTES = 8L * 1024 * 1024;

  /** At most this many providers are saved (the most recently active first would be nicer). */
  static final int MAX_PROVIDERS = 500;

  private static final System.Logger LOG = System.getLogger(HistoryFile.class.getName());

  private HistoryFile() {}

  /**
   * Where the history of {@code database} is kept: beside a SQLite file; in {@code localRoot},
   * named by a hash of the URL, for a database URL.
   */
  static Path pathFor(Path localRoot, String database) {
    if (database.contains("://")) {
      return localRoot.resolve("app-history-" + hash(database) + ".txt");
    }
    Path db = Path.of(database).toAbsolutePath();
    return db.resolveSibling(FILE);
  }

  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has SHA-256
    }
  }

  /** Saves every provider's samples, marked as describing {@code database}. */
  static void save(Path file, String database, Map<String, List<History.Sample>> byProvider)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      createPrivateDirectories(dir);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    createPrivateFile(tmp);
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      w.write(MAGIC + "\n");
      w.write("database " + encode(database) + "\n");
      int n = 0;
      for (Map.Entry<String, List<History.Sample>> e : byProvider.entrySet()) {
        if (e.getValue().isEmpty() || n++ >= MAX_PROVIDERS) {
          continue;
        }
        w.write("p " + encode(e.getKey()) + "\n");
        writeRuns(w, e.getValue());
      }
      w.write("end\n");
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeRuns(Writer w, List<History.Sample> samples) throws IOException {
    History.Sample first = null;
    History.Sample prev = null;
    int count = 0;
    for (History.Sample s : samples) {
      boolean same =
          prev != null
              && s.atMs() == prev.atMs() + History.BUCKET_MS
              && s.active() == prev.active()
              && s.queued() == prev.queued()
              && s.limit() == prev.limit();
      if (same) {
        count++;
      } else {
        if (first != null) {
          writeRun(w, first, count);
        }
        first = s;
        count = 1;
      }
      prev = s;
    }
    if (first != null) {
      writeRun(w, first, count);
    }
  }

  private static void writeRun(Writer w, History.Sample s, int count) throws IOException {
    w.write(
        "r "
            + s.atMs()
            + " "
            + count
            + " "
            + s.active()
            + " "
            + s.queued()
            + " "
            + s.limit()
            + "\n");
  }

  /**
   * What an earlier run saved about {@code database}; empty (with one log line saying why) when the
   * file is missing, unreadable, damaged, too large or about another database.
   */
  static Optional<Map<String, List<History.Sample>>> load(Path file, String database) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        return ignored(file, "it is " + size + " bytes, more than " + MAX_BYTES);
      }
      try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        if (!MAGIC.equals(r.readLine())) {
          return ignored(file, "it does not start with \"" + MAGIC + "\"");
        }
        String db = r.readLine();
        if (db == null || !db.equals("database " + encode(database))) {
          return ignored(file, "it describes another database");
        }
        Map<String, List<History.Sample>> out = new LinkedHashMap<>();
        List<History.Sample> current = null;
        int lineNo = 2;
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          lineNo++;
          if (line.equals("end")) {
            return Optional.of(out);
          }
          if (line.startsWith("p ")) {
            current = out.computeIfAbsent(decode(line.substring(2)), k -> new ArrayList<>());
          } else if (line.startsWith("r ") && current != null && readRun(line, current)) {
            continue;
          } else {
            return ignored(file, "line " + lineNo + " is not a provider or a run: " + clip(line));
          }
        }
        return ignored(file, "it is truncated (no \"end\" line)");
      }
    } catch (IOException | RuntimeException e) {
      return ignored(file, "it cannot be read (" + e.getMessage() + ")");
    }
  }

  /** Adds a run's samples; false when the line is not a sound run. */
  private static boolean readRun(String line, List<History.Sample> into) {
    String[] f = line.split(" ");
    if (f.length != 6) {
      return false;
    }
    long start = Long.parseLong(f[1]);
    int count = Integer.parseInt(f[2]);
    int active = Integer.parseInt(f[3]);
    int queued = Integer.parseInt(f[4]);
    int limit = Integer.parseInt(f[5]);
    if (count < 1 || count > 3600 || active < 0 || queued < 0 || limit < 0) {
      return false;
    }
    long last = into.isEmpty() ? Long.MIN_VALUE : into.get(into.size() - 1).atMs();
    if (start <= last || Math.floorMod(start, History.BUCKET_MS) != 0) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      into.add(new History.Sample(start + i * History.BUCKET_MS, active, queued, limit));
    }
    return true;
  }

  private static <T> Optional<T> ignored(Path file, String why) {
    LOG.log(
        System.Logger.Level.WARNING,
        "inflight app: history file " + file + " ignored, starting with an empty history: " + why);
    return Optional.empty();
  }

  private static String clip(String line) {
    return line.length() <= 40 ? "\"" + line + "\"" : "\"" + line.substring(0, 40) + "…\"";
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static void createPrivateDirectories(Path dir) throws IOException {
    try {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(dir);
    }
  }

  private static void createPrivateFile(Path file) throws IOException {
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
  }
}
