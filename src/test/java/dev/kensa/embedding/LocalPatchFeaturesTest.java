package dev.kensa.embedding;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.backbone.LayerShape;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * PatchCore's patch features against the definitions written out literally: AvgPool2d(3, stride 1, padding 1,
 * count_include_pad) per channel, then F.interpolate(bilinear, align_corners=False) of the coarser layer.
 */
class LocalPatchFeaturesTest {

    static FeatureMaps.Layer layer(String name, int n, int c, int h, int w, Random r) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * n * c * h * w).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n * c * h * w; i++) {
            b.put(i, (float) r.nextGaussian());
        }
        return new FeatureMaps.Layer(name, c, h, w, b);
    }

    static double pooled(FeatureMaps.Layer l, int n, int c, int y, int x) {
        double s = 0;
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                int yy = y + dy, xx = x + dx;
                if (yy >= 0 && yy < l.height() && xx >= 0 && xx < l.width()) {
                    s += l.data().get(((n * l.channels() + c) * l.height() + yy) * l.width() + xx);
                }
            }
        }
        return s / 9;
    }

    static double upsampled(FeatureMaps.Layer l, int n, int c, int y, int x, int outH, int outW) {
        double fy = Math.max(0, (y + 0.5) * l.height() / outH - 0.5);
        double fx = Math.max(0, (x + 0.5) * l.width() / outW - 0.5);
        int y0 = (int) fy, x0 = (int) fx;
        int y1 = Math.min(y0 + 1, l.height() - 1), x1 = Math.min(x0 + 1, l.width() - 1);
        double ly = fy - y0, lx = fx - x0;
        return (1 - ly) * ((1 - lx) * pooled(l, n, c, y0, x0) + lx * pooled(l, n, c, y0, x1))
                + ly * ((1 - lx) * pooled(l, n, c, y1, x0) + lx * pooled(l, n, c, y1, x1));
    }

    @Test
    void poolingUpsamplingAndConcatenationAreTheDefinitions() {
        Random r = new Random(4);
        int n = 2;
        FeatureMaps.Layer l2 = layer("layer2", n, 6, 8, 8, r);
        FeatureMaps.Layer l3 = layer("layer3", n, 5, 4, 4, r);
        FeatureMaps maps = new FeatureMaps(n, List.of(l2, l3));
        LocalPatchFeatures f = new LocalPatchFeatures(LayerShape.of(maps), 3);
        assertEquals(11, f.dims());
        assertEquals(64, f.positions());
        float[] out = new float[n * 64 * 11];
        f.extract(maps, out);
        for (int img = 0; img < n; img++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int base = (img * 64 + y * 8 + x) * 11;
                    for (int c = 0; c < 6; c++) {
                        assertEquals(pooled(l2, img, c, y, x), out[base + c], 1e-5, "layer2 c" + c + " at " + y + "," + x);
                    }
                    for (int c = 0; c < 5; c++) {
                        assertEquals(upsampled(l3, img, c, y, x, 8, 8), out[base + 6 + c], 1e-5, "layer3 c" + c + " at " + y + "," + x);
                    }
                }
            }
        }
    }
}
