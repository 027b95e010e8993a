package dev.inflight.app;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** The app's icon, drawn rather than shipped: three bars (slots), with a red dot while queued. */
final class Icons {
  private Icons() {}

  static BufferedImage awt(int size, boolean queued) {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    float s = size / 32f;
    g.setColor(new Color(0x24, 0x29, 0x2f));
    g.fillRoundRect(0, 0, size, size, Math.round(8 * s), Math.round(8 * s));
    g.setColor(new Color(0x54, 0xae, 0xff));
    int[] heights = {10, 16, 22};
    for (int i = 0; i < 3; i++) {
      int h = Math.round(heights[i] * s);
      g.fillRoundRect(
          Math.round((6 + i * 8) * s), size - Math.round(5 * s) - h, Math.round(5 * s), h, 2, 2);
    }
    if (queued) {
      int d = Math.round(13 * s);
      g.setColor(new Color(0xcf, 0x22, 0x2e));
      g.fillOval(size - d, 0, d, d);
      g.setColor(Color.WHITE);
      g.setStroke(new BasicStroke(Math.max(1, s)));
      g.drawOval(size - d, 0, d - 1, d - 1);
    }
    g.dispose();
    return img;
  }

  static javafx.scene.image.Image fx(int size, boolean queued) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(awt(size, queued), "png", out);
      return new javafx.scene.image.Image(new ByteArrayInputStream(out.toByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
