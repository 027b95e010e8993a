package dev.inflight.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * The man page, inflight(1), written in roff from the same picocli model as the help: every command
 * and subcommand with its synopsis, description, options and examples.
 */
final class ManPage {
  private final StringBuilder out = new StringBuilder();

  private ManPage() {}

  static String of(CommandLine top, String version) {
    return new ManPage().page(top, version);
  }

  private String page(CommandLine top, String version) {
    CommandSpec spec = top.getCommandSpec();
    UsageMessageSpec usage = spec.usageMessage();
    line(".TH INFLIGHT 1 \"\" " + quoted(version) + " \"User Commands\"");
    line(".nh"); // no hyphenation: options, URLs and keys are copied as they read
    line(".ad l");
    line(".SH NAME");
    line("inflight \\- " + escape(firstSentence(usage.description())));
    line(".SH SYNOPSIS");
    line(".B inflight");
    line("[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]");
    line(".SH DESCRIPTION");
    paragraphs(usage.description());
    line(".SH OPTIONS");
    options(spec);
    line(".SH COMMANDS");
    for (CommandLine sub : top.getSubcommands().values()) {
      command(sub);
    }
    line(".SH EXIT STATUS");
    for (var e : usage.exitCodeList().entrySet()) {
      line(".TP");
      line(".B " + escape(e.getKey()));
      line(escape(e.getValue()));
    }
    line(".SH ENVIRONMENT");
    term(
        "INFLIGHT_HOME",
        "The config root when --home is not given (else $XDG_CONFIG_HOME/inflight, else"
            + " ~/.config/inflight). The demo ignores it: it runs on a private root unless --home"
            + " is given.");
    term("XDG_RUNTIME_DIR, XDG_CACHE_HOME", "Where the demo's private config root is made.");
    term("NO_COLOR", "When set, 'status --watch' prints no colour.");
    line(".SH FILES");
    term("CONFIG_ROOT/limiter.db", "The shared SQLite database (WAL mode); files 0600.");
    line(".SH EXAMPLES");
    examples(usage.footer());
    return out.toString();
  }

  private void command(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    UsageMessageSpec usage = spec.usageMessage();
    String synopsis =
        new CliHelp(spec, new ColorScheme.Builder(CommandLine.Help.Ansi.OFF).build())
            .synopsis(0)
            .strip()
            .replaceAll("\\s+", " ");
    line(".SS " + quoted(spec.qualifiedName()));
    line(".nf");
    line(".B " + escape(synopsis));
    line(".fi");
    paragraphs(usage.description());
    List<PositionalParamSpec> positionals = spec.positionalParameters();
    for (PositionalParamSpec p : positionals) {
      if (!p.hidden() && p.description().length > 0) {
        term(p.paramLabel(), String.join(" ", p.description()));
      }
    }
    if (!CliHelp.ownOptions(spec).isEmpty()) {
      options(spec);
    }
    if (usage.footer().length > 0) {
      line(".PP");
      line("Examples:");
      examples(usage.footer());
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      command(sub);
    }
  }

  private void options(CommandSpec spec) {
    for (OptionSpec o : CliHelp.ownOptions(spec)) {
      String names = String.join(", ", o.names());
      String label = o.arity().max() > 0 ? " " + o.paramLabel() : "";
      line(".TP");
      line(
          "\\fB"
              + escape(names)
              + "\\fR"
              + (label.isEmpty() ? "" : "\\fI" + escape(label) + "\\fR"));
      line(escape(text(String.join(" ", o.description()))));
    }
  }

  private void examples(String[] footer) {
    line(".PP");
    line(".nf");
    line(".RS");
    for (String l : footer) {
      line(l.isBlank() ? "" : escape(l.strip()));
    }
    line(".RE");
    line(".fi");
  }

  private void paragraphs(String[] description) {
    for (String d : description) {
      if (!d.isBlank()) {
        line(".PP");
        line(escape(text(d)));
      }
    }
  }

  private void term(String name, String text) {
    line(".TP");
    line(".B " + escape(name));
    line(escape(text));
  }

  private void line(String s) {
    out.append(s).append('\n');
  }

  private static String firstSentence(String[] description) {
    String d = description.length == 0 ? "" : text(description[0]);
    int dot = d.indexOf(". ");
    return dot < 0 ? d.replaceAll("\\.$", "") : d.substring(0, dot);
  }

  /** The text picocli would show: its format escapes resolved. */
  private static String text(String s) {
    return s.replace("%n", " ").replace("%%", "%").strip();
  }

  private static String quoted(String s) {
    return "\"" + escape(s).replace("\"", "\\(dq") + "\"";
  }

  /** Roff-safe text: backslashes and hyphens escaped, no line that starts like a request. */
  static String escape(String s) {
    String e = s.replace("\\", "\\e").replace("-", "\\-");
    return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
  }
}
