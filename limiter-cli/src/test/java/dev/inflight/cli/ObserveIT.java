package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inflight observe}: a response's rate-limit headers, from a script, gate every process. */
class ObserveIT {
  @TempDir Path home;
  Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  @Test
  void curlsHeaderDump_nothingLeft_stopsGrants_untilTheReset() throws Exception {
    Path dump = home.resolve("headers.txt");
    Files.writeString(
        dump,
        "HTTP/2 200\r\n"
            + "content-type: application/json\r\n"
            + "x-ratelimit-remaining-requests: 0\r\n"
            + "x-ratelimit-reset-requests: 10m\r\n"
            + "x-ratelimit-remaining-tokens: 89500\r\n"
            + "x-ratelimit-reset-tokens: 1m0s\r\n\r\n");
    Cli.Result r = cli.run("observe", "openai", dump.toString());
    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out())
        .startsWith("openai: 0 requests left until ")
        .contains("89500 tokens left until ");

    Cli.Result held = cli.run("run", "-p", "openai", "--timeout", "300ms", "--", "echo", "never");
    assertThat(held.code()).as(held.describe()).isEqualTo(75);
    Cli.Result other = cli.run("run", "-p", "anthropic", "--", "echo", "served");
    assertThat(other.out()).contains("served");
  }

  @Test
  void headersItDoesNotUnderstand_shareNothing_andSaySo() {
    Cli.Result r = cli.run("observe", "openai", "--header", "x-ratelimit-remaining-requests: lots");
    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).contains("no rate-limit header understood (nothing shared)");
  }

  @Test
  void aBadKey_isRefused_namingTheRule() {
    Cli.Result r = cli.run("observe", "open\u0007ai", "--header", "retry-after: 5");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("provider must be 1 to 200 characters with no control characters");
  }
}
