package dev.inflight.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * How every command's help reads. A subcommand's usage lists only its own options: the global ones
 * ({@code --home}, {@code --verbose}) are inherited by every subcommand, but shown once, in {@code
 * inflight --help}, with a one-line pointer elsewhere. Examples (the footer) are printed as
 * written, never wrapped, so that they can be copied and pasted.
 */
final class CliHelp extends Help {
  static final String SECTION_GLOBALS = "inflightGlobals";

  CliHelp(CommandSpec spec, ColorScheme scheme) {
    super(spec, scheme);
  }

  /** Installs this help on {@code cl} and all its subcommands. */
  static void install(CommandLine cl) {
    cl.setHelpFactory(CliHelp::new);
    Map<String, CommandLine.IHelpSectionRenderer> sections = cl.getHelpSectionMap();
    sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER, CliHelp::verbatimFooter);
    boolean sub = cl.getCommandSpec().parent() != null;
    if (sub) {
      sections.put(SECTION_GLOBALS, help -> globalsNote(help.commandSpec()));
      List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
      if (!keys.contains(SECTION_GLOBALS)) { // set on a parent, the keys reach its subcommands
        keys.add(
            keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST) + 1,
            SECTION_GLOBALS);
        cl.setHelpSectionKeys(keys);
      }
    }
    cl.setHelpSectionMap(sections);
    for (CommandLine child : cl.getSubcommands().values()) {
      install(child);
    }
  }

  /** The options a command's own usage shows: its own, without the inherited global ones. */
  static List<OptionSpec> ownOptions(CommandSpec spec) {
    List<OptionSpec> own = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      if (!o.hidden() && !o.inherited()) {
        own.add(o);
      }
    }
    return own;
  }

  @Override
  protected Ansi.Text createDetailedSynopsisOptionsText(
      Collection<ArgSpec> done,
      List<OptionSpec> optionList,
      Comparator<OptionSpec> optionSort,
      boolean clusterBooleanOptions) {
    List<OptionSpec> own = new ArrayList<>(optionList);
    own.removeIf(ArgSpec::inherited);
    return super.createDetailedSynopsisOptionsText(done, own, optionSort, clusterBooleanOptions);
  }

  @Override
  public String optionList(
      Layout layout, Comparator<OptionSpec> optionSort, IParamLabelRenderer valueLabelRenderer) {
    return optionListExcludingGroups(
        ownOptions(commandSpec()), layout, optionSort, valueLabelRenderer);
  }

  /** The inherited options by name, from the model: a global option added later shows here too. */
  private static String globalsNote(CommandSpec spec) {
    List<String> names = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      if (o.inherited() && !o.hidden()) {
        names.add(o.longestName() + (o.typeInfo().isBoolean() ? "" : " " + o.paramLabel()));
      }
    }
    return names.isEmpty()
        ? ""
        : "  (global options " + String.join(", ", names) + ": see 'inflight --help')\n";
  }

  /** The footer's lines exactly as written (its heading is a section of its own). */
  private static String verbatimFooter(Help help) {
    String[] lines = help.commandSpec().usageMessage().footer();
    if (lines.length == 0) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String line : lines) {
      sb.append(line).append(System.lineSeparator());
    }
    return sb.toString();
  }
}
