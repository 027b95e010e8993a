package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandSummaryTest {
  @Test
  void aScriptRunByAnInterpreter_readsAsTheInterpreterAndTheScriptsName() {
    assertThat(CommandSummary.of(List.of("/usr/bin/python3", "agents/agent.py")))
        .isEqualTo("python3 agent.py");
    assertThat(CommandSummary.of(List.of("node", "dist/index.js", "--model", "gpt")))
        .isEqualTo("node index.js …");
    assertThat(CommandSummary.of(List.of("./call.sh"))).isEqualTo("call.sh");
  }

  @Test
  void optionsAndAnythingThatMayHoldASecret_areLeftOut() {
    assertThat(
            CommandSummary.of(
                List.of(
                    "curl", "-H", "Authorization: Bearer sk-abc", "https://user:pw@api.example")))
        .isEqualTo("curl …");
    assertThat(CommandSummary.of(List.of("env", "OPENAI_API_KEY=sk-123", "python", "a.py")))
        .isEqualTo("env python …");
    assertThat(CommandSummary.of(List.of("tool", "sk-proj-0123456789abcdefghijklmnop")))
        .isEqualTo("tool …");
    assertThat(CommandSummary.of(List.of("tool", "my-api-key.txt"))).isEqualTo("tool …");
    assertThat(CommandSummary.of(List.of("sh", "-c", "echo hi; read x"))).isEqualTo("sh …");
  }

  @Test
  void controlCharacters_neverReachTheName() {
    assertThat(CommandSummary.of(List.of("ev\u001bil", "x"))).isEqualTo("ev?il x");
  }
}
