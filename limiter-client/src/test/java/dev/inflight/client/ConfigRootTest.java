package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigRootTest {
  @Test
  void explicitHome_winsOverEverything() {
    assertThat(
            ConfigRoot.resolve(
                Path.of("/a"), Map.of("INFLIGHT_HOME", "/b", "XDG_CONFIG_HOME", "/c"), "/h"))
        .isEqualTo(Path.of("/a"));
  }

  @Test
  void inflightHome_winsOverXdg() {
    assertThat(
            ConfigRoot.resolve(null, Map.of("INFLIGHT_HOME", "/b", "XDG_CONFIG_HOME", "/c"), "/h"))
        .isEqualTo(Path.of("/b"));
  }

  @Test
  void xdgConfigHome_isUsedWhenAbsolute() {
    assertThat(ConfigRoot.resolve(null, Map.of("XDG_CONFIG_HOME", "/c"), "/h"))
        .isEqualTo(Path.of("/c/inflight"));
  }

  @Test
  void emptyOrRelativeVariables_countAsUnset() {
    assertThat(
            ConfigRoot.resolve(null, Map.of("INFLIGHT_HOME", "", "XDG_CONFIG_HOME", "rel"), "/h"))
        .isEqualTo(Path.of("/h/.config/inflight"));
  }

  @Test
  void databaseFile_isLimiterDbInTheRoot() {
    assertThat(ConfigRoot.databaseFile(Path.of("/r"))).isEqualTo(Path.of("/r/limiter.db"));
  }
}
