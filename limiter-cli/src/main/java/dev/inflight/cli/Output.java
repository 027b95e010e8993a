package dev.inflight.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Standard output as the command writes it: UTF-8 whatever the locale (provider ids and labels are
 * Unicode), and a write that fails (a full disk, a closed pipe) is remembered with its cause, since
 * {@link PrintStream} swallows it. {@link Main} then exits 1 and says why, instead of 0.
 */
final class Output extends OutputStream {
  private final OutputStream out;
  private volatile IOException failure;

  private Output(OutputStream out) {
    this.out = out;
  }

  /** Replaces {@code System.out}; returns the stream whose failure {@link Main} checks. */
  static Output install() {
    Output o = new Output(new FileOutputStream(FileDescriptor.out));
    System.setOut(new PrintStream(o, false, StandardCharsets.UTF_8));
    return o;
  }

  /** Why writing failed, or null when everything written so far reached the file. */
  IOException failure() {
    return failure;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      if (failure == null) {
        failure = e;
      }
      throw e;
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      if (failure == null) {
        failure = e;
      }
      throw e;
    }
  }
}
