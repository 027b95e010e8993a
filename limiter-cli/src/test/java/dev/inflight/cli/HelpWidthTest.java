package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's help on an 80-column terminal: no line is longer than the terminal (the terminal
 * would then wrap it wherever it is full, mid-word), and no word is cut in two to fit.
 */
class HelpWidthTest {
  @Test
  void everyHelpLine_fitsIn80Columns() {
    List<String> tooLong = new ArrayList<>();
    for (CommandLine cl : all(model(80))) {
      for (String line : cl.getUsageMessage().split("\\R")) {
        if (line.codePointCount(0, line.length()) > 80) {
          tooLong.add(cl.getCommandSpec().qualifiedName() + ": " + line);
        }
      }
    }

    assertThat(tooLong).isEmpty();
  }

  @Test
  void wrappingAt80Columns_cutsNoWordInTwo() {
    List<CommandLine> narrow = all(model(80));
    List<CommandLine> wide = all(model(400));
    List<String> cut = new ArrayList<>();
    for (int i = 0; i < narrow.size(); i++) {
      List<String> at80 = words(narrow.get(i).getUsageMessage());
      List<String> at400 = words(wide.get(i).getUsageMessage());
      List<String> extra = new ArrayList<>(at80);
      at400.forEach(extra::remove);
      String name = narrow.get(i).getCommandSpec().qualifiedName();
      extra.forEach(w -> cut.add(name + ": " + w));
    }

    assertThat(cut).as("words that exist only when wrapped at 80 columns").isEmpty();
  }

  private static CommandLine model(int width) {
    CommandLine cl = Commands.model();
    cl.setUsageHelpAutoWidth(false);
    cl.setUsageHelpWidth(width);
    return cl;
  }

  private static List<CommandLine> all(CommandLine cl) {
    List<CommandLine> all = new ArrayList<>(List.of(cl));
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (sub.getParent() == cl && !all.contains(sub)) {
        all.addAll(all(sub));
      }
    }
    return all;
  }

  private static List<String> words(String text) {
    return new ArrayList<>(Arrays.asList(text.strip().split("\\s+")));
  }
}
