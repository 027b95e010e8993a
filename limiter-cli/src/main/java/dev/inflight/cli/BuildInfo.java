package dev.inflight.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version and the commit this jar was built from, written into {@code build.properties} by the
 * build (limiter-cli/pom.xml): the project's version, and {@code git rev-parse} of the checkout
 * ({@code -dirty} when tracked files differed from it), or {@code unknown commit} where the sources
 * were not a git checkout (a source tarball) or git was missing.
 */
final class BuildInfo implements IVersionProvider {
  static final String RESOURCE = "build.properties";

  final String version;
  final String commit;

  BuildInfo() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // reported below as unknown
    }
    version = value(p, "version", "(unknown version)");
    String c = value(p, "commit", "");
    commit = c.isEmpty() || c.equals("unknown") ? "unknown commit" : "commit " + c;
  }

  /** A value the build filled in; an unfiltered placeholder counts as missing. */
  private static String value(Properties p, String key, String otherwise) {
    String v = p.getProperty(key, "").strip();
    return v.isEmpty() || v.contains("${") ? otherwise : v;
  }

  /** {@code inflight 0.1.0-SNAPSHOT (commit 0123abcd4567)}. */
  String line() {
    return "inflight " + version + " (" + commit + ")";
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      line(),
      "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
    };
  }
}
