package dev.inflight.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version and the commit, for {@code --version} and the man page. The build writes the
 * project's version and the commit it built from into {@code build.properties}
 * (limiter-cli/pom.xml: {@code git rev-parse} of the checkout, {@code -dirty} when tracked files
 * differed from it, {@code unknown} without git or a {@code .git}). A commit that changes no source
 * does not rebuild the jar, so {@code bin/inflight} reads the checkout's commit at launch and
 * passes it as the system property {@value #CHECKOUT_PROPERTY}: that one is shown, and the build's
 * commit beside it when the two differ.
 */
final class BuildInfo implements IVersionProvider {
  static final String RESOURCE = "build.properties";
  static final String CHECKOUT_PROPERTY = "inflight.checkout";

  final String version;
  final String commit;

  BuildInfo() {
    this(System.getProperty(CHECKOUT_PROPERTY));
  }

  /**
   * @param checkout the commit of the checkout at launch ({@code -dirty} appended when it has
   *     changes), or null when unknown (the jar started without bin/inflight, or no git)
   */
  BuildInfo(String checkout) {
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
    boolean built = !c.isEmpty() && !c.equals("unknown");
    String now = checkout == null ? "" : checkout.strip();
    if (!now.matches("[0-9a-f]{4,40}(-dirty)?")) {
      commit = built ? "commit " + c : "unknown commit";
    } else if (!built || now.equals(c)) {
      commit = "commit " + now;
    } else {
      commit = "commit " + now + ", built at " + c;
    }
  }

  /** A value the build filled in; an unfiltered placeholder counts as missing. */
  private static String value(Properties p, String key, String otherwise) {
    String v = p.getProperty(key, "").strip();
    return v.isEmpty() || v.contains("${") ? otherwise : v;
  }

  /**
   * {@code inflight 0.1.0-SNAPSHOT (commit 0123abcd4567)}, or {@code (commit 89ab…, built at
   * 0123…)} when the jar was built at another commit (bin/inflight rebuilds it when a source is
   * newer, so that commit changed none).
   */
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
