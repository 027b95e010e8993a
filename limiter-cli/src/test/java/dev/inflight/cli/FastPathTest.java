package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** The fast parser must read every line it accepts exactly as picocli does. */
class FastPathTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "status",
        "status --json",
        "--home /tmp/x status --json",
        "status --home=/tmp/x --verbose",
        "--verbose run -p openai -- true",
        "run --provider openai --label planner --timeout 5s -- python agent.py --flag",
        "run --provider=openai --label=a --timeout=PT1S -q -- x",
        "run -p openai -l lab -t 250ms --quiet x y z",
        "run -p p --home /h sh -c 'echo hi'",
        "run -p p -- -x",
        "run -p p x -- y",
        "run -p p --rate-limited-exit-code 42 --retry-after 20s -- x",
        "run -p p --rate-limited-exit-code=0 --retry-after=PT1S x",
        "run -p openai/gpt-4o --weight 2 --priority interactive --tokens 1200 -- x",
        "run -p p/m --weight=0 --priority=urgent --tokens=99999999999 x",
      })
  void acceptedLines_parseAsPicocliParsesThem(String line) throws Exception {
    String[] args = line.split(" ");
    Inflight fastTop = new Inflight();
    Callable<Integer> fast = FastPath.parse(args, fastTop);
    assertThat(fast).as(line).isNotNull();

    Inflight top = new Inflight();
    CommandLine cl = new CommandLine(top);
    cl.getSubcommands().get("run").setStopAtPositional(true);
    cl.setExpandAtFiles(false);
    ParseResult parsed = cl.parseArgs(args);
    Object picked = parsed.subcommand().commandSpec().userObject();

    assertThat(fastTop.home).isEqualTo(top.home);
    assertThat(fastTop.verbose).isEqualTo(top.verbose);
    assertThat(fast.getClass()).isEqualTo(picked.getClass());
    if (fast instanceof StatusCommand s) {
      assertThat(s.json).isEqualTo(((StatusCommand) picked).json);
    } else {
      RunCommand f = (RunCommand) fast;
      RunCommand p = (RunCommand) picked;
      assertThat(
              List.of(
                  f.provider,
                  f.label,
                  String.valueOf(f.timeout),
                  f.quiet,
                  f.command,
                  String.valueOf(f.rateLimitedExitCode),
                  String.valueOf(f.retryAfter),
                  String.valueOf(f.weight),
                  String.valueOf(f.priority),
                  String.valueOf(f.tokens)))
          .isEqualTo(
              List.of(
                  p.provider,
                  p.label,
                  String.valueOf(p.timeout),
                  p.quiet,
                  p.command,
                  String.valueOf(p.rateLimitedExitCode),
                  String.valueOf(p.retryAfter),
                  String.valueOf(p.weight),
                  String.valueOf(p.priority),
                  String.valueOf(p.tokens)));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "--help",
        "status --help",
        "status -h",
        "status --json --json",
        "status extra",
        "limits list",
        "run -- true",
        "run -p p",
        "run -p p --",
        "run -p p -p q -- x",
        "run -p p --timeout soon -- x",
        "run -p p --label -- x",
        "run -p=p -- x",
        "run -qp p -- x",
        "run -p p --unknown -- x",
        "run -p p --retry-after soon --rate-limited-exit-code 3 -- x",
        "run -p p --rate-limited-exit-code 3 --rate-limited-exit-code 4 -- x",
        "run -p p --weight 1 --weight 2 -- x",
        "run -p p --tokens -1 -- x",
        "run -p p --priority -- x",
        "--home a --home b status",
        "--verbose --verbose status",
      })
  void anythingElse_isLeftToPicocli(String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    assertThat(FastPath.parse(args, new Inflight())).as(line).isNull();
  }
}
