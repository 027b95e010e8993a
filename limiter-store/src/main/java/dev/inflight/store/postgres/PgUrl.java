package dev.inflight.store.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A PostgreSQL database as a user names it: {@code postgresql://[user[:password]@]host[:port]/db
 * [?param=value&…]} (also {@code postgres://} and {@code jdbc:postgresql://}). Query parameters are
 * the JDBC driver's connection properties ({@code sslmode}, {@code sslrootcert}, {@code passfile},
 * …) and pass through. A password never leaves this class except to the driver: {@link #toString}
 * and {@link #masked} print {@code ***} in its place, and a password given in a parameter is masked
 * the same way.
 *
 * <p>Without a password in the URL the driver reads {@code PGPASSWORD}, then {@code PGPASSFILE} or
 * {@code ~/.pgpass}, as libpq does; without a user, {@code PGUSER}, then the OS user name.
 */
public final class PgUrl {
  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;
  private final Map<String, String> params;

  private PgUrl(
      String host,
      int port,
      String database,
      String user,
      String password,
      Map<String, String> params) {
    this.host = host;
    this.port = port;
    this.database = database;
    this.user = user;
    this.password = password;
    this.params = params;
  }

  /** Whether {@code text} names a PostgreSQL database (rather than an SQLite file). */
  public static boolean isPostgres(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    return t.startsWith("postgresql://")
        || t.startsWith("postgres://")
        || t.startsWith("jdbc:postgresql://");
  }

  /**
   * Parses a database URL.
   *
   * @throws IllegalArgumentException naming the rule and the URL (its password masked)
   */
  public static PgUrl parse(String text) {
    if (text == null || !isPostgres(text)) {
      throw new IllegalArgumentException(
          "database must be a URL of the form postgresql://[user[:password]@]host[:port]/database"
              + " (was "
              + (text == null ? "nothing" : maskAny(text))
              + ")");
    }
    String rest = text.substring(text.indexOf("://") + 3);
    URI uri;
    try {
      uri = new URI("postgresql://" + rest);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "database is not a valid URL (" + e.getReason() + "; was " + maskAny(text) + ")");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          "database must name a host: postgresql://host:5432/database (was " + maskAny(text) + ")");
    }
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String database = decode(path.startsWith("/") ? path.substring(1) : path);
    if (database.isEmpty() || database.contains("/")) {
      throw new IllegalArgumentException(
          "database must name one database after the host: postgresql://"
              + host
              + ":"
              + port
              + "/inflight (was "
              + maskAny(text)
              + ")");
    }
    String user = null;
    String password = null;
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? null : decode(info.substring(colon + 1));
    }
    Map<String, String> params = new LinkedHashMap<>();
    String query = uri.getRawQuery();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = decode(eq < 0 ? pair : pair.substring(0, eq));
        String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
        if (k.equals("user")) {
          user = v;
        } else if (k.equals("password")) {
          password = v;
        } else {
          params.put(k, v);
        }
      }
    }
    return new PgUrl(host, port, database, user, password, params);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The JDBC URL, with no credentials in it. */
  String jdbcUrl() {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "jdbc:postgresql://" + h + ":" + port + "/" + database;
  }

  /** The driver's properties: the URL's parameters, the user and the password, if given. */
  Properties properties() {
    Properties p = new Properties();
    p.putAll(params);
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    } else if (System.getenv("PGPASSWORD") != null && !params.containsKey("password")) {
      p.setProperty("password", System.getenv("PGPASSWORD"));
    }
    if (user == null && System.getenv("PGUSER") != null) {
      p.setProperty("user", System.getenv("PGUSER"));
    }
    return p;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String database() {
    return database;
  }

  /** host, port and database, for messages: {@code db.example.com:5432/inflight}. */
  public String where() {
    return host + ":" + port + "/" + database;
  }

  /** The URL as given, its password replaced by {@code ***}. */
  public String masked() {
    StringBuilder b = new StringBuilder("postgresql://");
    if (user != null) {
      b.append(user);
      if (password != null) {
        b.append(":***");
      }
      b.append('@');
    }
    b.append(host).append(':').append(port).append('/').append(database);
    if (!params.isEmpty()) {
      b.append('?');
      boolean first = true;
      for (Map.Entry<String, String> e : params.entrySet()) {
        if (!first) {
          b.append('&');
        }
        first = false;
        b.append(e.getKey()).append('=').append(secret(e.getKey()) ? "***" : e.getValue());
      }
    }
    return b.toString();
  }

  private static boolean secret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.equals("sslpassword");
  }

  /**
   * Any text that may be a database URL, with a password in it masked: the user-info part's
   * password and any {@code password=} parameter. For messages about URLs that did not parse.
   */
  public static String maskAny(String text) {
    String s = text.replaceAll("(://[^/@:]*):[^/@]*@", "$1:***@");
    return s.replaceAll("(?i)((?:ssl)?password=)[^&]*", "$1***");
  }

  @Override
  public String toString() {
    return masked();
  }
}
