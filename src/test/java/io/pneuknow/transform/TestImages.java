package io.pneuknow.transform;

import io.pneuknow.data.Box;
import io.pneuknow.data.Region;
import io.pneuknow.data.Sample;
import io.pneuknow.image.GreyImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Small fixtures shared by the transform tests. */
final class TestImages {
    private TestImages() {
    }

    static Sample sample(Region... regions) {
        return new Sample("img1", Path.of("/tmp/img1.png"), "covid", 1, "p1", List.of(regions), Map.of());
    }

    static Region box(int x, int y, int w, int h) {
        return new Region("lesion", "opacity", new Box(x, y, w, h), null, "test box");
    }

    /** An L: vertical bar x in [20,30), y in [15,65); foot x in [20,60), y in [55,65). Value 1 inside. */
    static GreyImage lShape(int width, int height) {
        float[] p = new float[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean bar = x >= 20 && x < 30 && y >= 15 && y < 65;
                boolean foot = x >= 20 && x < 60 && y >= 55 && y < 65;
                p[y * width + x] = bar || foot ? 1f : 0f;
            }
        }
        return new GreyImage(width, height, p);
    }

    /** Pixels whose value is (near) 1 in the image but 0 in the mask, or (near) 0 in the image but 1 in the mask. */
    static int misaligned(GreyImage image, GreyImage mask) {
        int bad = 0;
        for (int i = 0; i < image.pixels().length; i++) {
            float v = image.pixels()[i];
            float m = mask.pixels()[i];
            if ((v > 0.99f && m == 0f) || (v < 0.01f && m == 1f)) {
                bad++;
            }
        }
        return bad;
    }

    static int count(GreyImage mask) {
        int n = 0;
        for (float v : mask.pixels()) {
            if (v != 0f) {
                n++;
            }
        }
        return n;
    }
}
