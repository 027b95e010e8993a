package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TerminalTest {
  @Test
  void fit_cutsLongLinesWithAnEllipsis_andLeavesShortOnesAlone() {
    String text = "short\nthis line is too long for ten\n\nend\n";

    assertThat(Terminal.fit(text, 10)).isEqualTo("short\nthis line…\n\nend\n");
  }

  @Test
  void fit_withoutATerminal_changesNothing() {
    String text = "x".repeat(300) + "\n";

    assertThat(Terminal.fit(text, 0)).isEqualTo(text);
  }

  @Test
  void fit_countsNoColumnForColour_andResetsTheColourOfACutLine() {
    String red = "\033[31m";
    String reset = "\033[0m";

    assertThat(Terminal.fit(red + "abc" + reset, 3)).isEqualTo(red + "abc" + reset);
    assertThat(Terminal.fit(red + "abcdef" + reset, 4)).isEqualTo(red + "abc…" + reset);
  }

  @Test
  void fit_countsCharactersNotUtf16Units() {
    assertThat(Terminal.fit("é😀abcdef", 4)).isEqualTo("é😀a…");
  }
}
