package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SQLite's native library: extracted once into a private cache, checked, reused, repaired. */
class NativeLibraryTest {
  @TempDir Path root;

  @Test
  void firstUse_extractsAPrivateCopy_thatLaterUsesReuseAsItIs() throws Exception {
    Path lib = NativeLibrary.cached(root);

    assertThat(lib).isRegularFile().startsWith(root);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lib)))
        .isEqualTo("rw-------");
    for (Path d = lib.getParent(); !d.equals(root); d = d.getParent()) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
          .as("%s", d)
          .isEqualTo("rwx------");
    }
    Object inode = Files.readAttributes(lib, "unix:ino").get("ino");

    Path again = NativeLibrary.cached(root);

    assertThat(again).isEqualTo(lib);
    assertThat(Files.readAttributes(again, "unix:ino").get("ino")).isEqualTo(inode);
    try (var files = Files.list(lib.getParent())) {
      assertThat(files).containsExactly(lib); // no partial extraction left behind
    }
  }

  @Test
  void aDamagedCopy_isReplacedByAGoodOne() throws Exception {
    Path lib = NativeLibrary.cached(root);
    long size = Files.size(lib);
    byte[] bytes = Files.readAllBytes(lib);
    bytes[bytes.length / 2] ^= 0x5a; // same size, wrong contents
    Files.write(lib, bytes);

    Path repaired = NativeLibrary.cached(root);

    assertThat(repaired).isEqualTo(lib);
    assertThat(Files.size(repaired)).isEqualTo(size);
    assertThat(Files.readAllBytes(repaired)).isNotEqualTo(bytes);
  }

  @Test
  void aTruncatedCopy_isReplacedByAGoodOne() throws Exception {
    Path lib = NativeLibrary.cached(root);
    long size = Files.size(lib);
    Files.write(lib, new byte[100]);

    assertThat(Files.size(NativeLibrary.cached(root))).isEqualTo(size);
  }
}
