package dev.kensa.gpu;

import dev.kensa.backbone.FeatureMaps;
import dev.kensa.score.GaussianStats;
import dev.kensa.score.HalfFloat;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeviceBuffersTest {

    static GaussianStats stats(int h, int w, int d) {
        int p = h * w;
        float[] mu = new float[p * d];
        float[] wf = new float[p * GaussianStats.packedSize(d)];
        for (int i = 0; i < mu.length; i++) {
            mu[i] = i * 0.5f - 3;
        }
        for (int i = 0; i < wf.length; i++) {
            wf[i] = (float) Math.sin(i) * 3.1f;
        }
        return GaussianStats.ofFloat32(h, w, d, mu, wf);
    }

    @Test
    void resNet18Sizes() {
        assertEquals(8L * 3 * 224 * 224 * 4, DeviceBuffers.inputBytes(8, 224));
        assertEquals(4L * 64 * 56 * 56, DeviceBuffers.layerBytes(1, 64, 56, 56));
        List<FeatureMaps.Layer> layers = List.of(
                new FeatureMaps.Layer("layer1", 64, 56, 56, null),
                new FeatureMaps.Layer("layer2", 128, 28, 28, null),
                new FeatureMaps.Layer("layer3", 256, 14, 14, null));
        // all three are multiples of 256 bytes already: 802816 + 401408 + 200704 per image
        assertEquals(8 * (802816L + 401408 + 200704), DeviceBuffers.layerBytes(8, layers));
        assertEquals(4L * 8 * 3136 * 100, DeviceBuffers.embeddingBytes(8, 3136, 100));
        assertEquals(4L * 8 * 3136, DeviceBuffers.distanceBytes(8, 3136));
        assertEquals(0, DeviceBuffers.align(0));
        assertEquals(256, DeviceBuffers.align(1));
        assertEquals(512, DeviceBuffers.align(257));
    }

    @Test
    void statsSizesFollowPackedTriangle() {
        GaussianStats s = stats(2, 3, 4);
        assertEquals(4L * 6 * 4, DeviceBuffers.meanBytes(s));
        assertEquals(4L * 6 * 10, DeviceBuffers.factorBytes(s, 4));
        assertEquals(2L * 6 * 10, DeviceBuffers.factorBytes(s, 2));
    }

    @Test
    void packingsAreLittleEndianAndMatchTheStats() {
        GaussianStats s = stats(2, 3, 4);
        float[] mu = new float[s.mean().length];
        DeviceBuffers.packMean(s).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(mu);
        assertArrayEquals(s.mean(), mu);
        ByteBuffer w32 = DeviceBuffers.packFactor32(s);
        assertEquals(DeviceBuffers.factorBytes(s, 4), w32.capacity());
        float[] w = new float[s.factor32().length];
        w32.asFloatBuffer().get(w);
        assertArrayEquals(s.factor32(), w);
        assertEquals(Float.floatToIntBits(s.factor32()[1]), w32.get(4) & 0xff | (w32.get(5) & 0xff) << 8
                | (w32.get(6) & 0xff) << 16 | (w32.get(7) & 0xff) << 24, "little-endian");

        ByteBuffer w16 = DeviceBuffers.packFactor16(s);
        assertEquals(DeviceBuffers.factorBytes(s, 2), w16.capacity());
        short[] h = new short[s.factor32().length];
        w16.asShortBuffer().get(h);
        for (int i = 0; i < h.length; i++) {
            assertEquals(HalfFloat.fromFloat(s.factor32()[i]), h[i]);
        }
        // a float16 bundle widens exactly for the f32 kernel, and passes through unchanged for the f16 one
        GaussianStats s16 = s.toFloat16();
        float[] widened = new float[h.length];
        DeviceBuffers.packFactor32(s16).asFloatBuffer().get(widened);
        for (int i = 0; i < h.length; i++) {
            assertEquals(HalfFloat.toFloat(h[i]), widened[i]);
        }
        short[] again = new short[h.length];
        DeviceBuffers.packFactor16(s16).asShortBuffer().get(again);
        assertArrayEquals(h, again);
    }

    @Test
    void channelIndexIsCheckedAgainstTheKernelPreconditions() {
        int[] layers = {64, 128, 256};
        assertArrayEquals(new int[]{0, 63, 64, 191, 192, 447}, DeviceBuffers.channelIndex(new int[]{0, 63, 64, 191, 192, 447}, layers));
        assertThrows(IllegalArgumentException.class, () -> DeviceBuffers.channelIndex(new int[]{5, 5}, layers));
        assertThrows(IllegalArgumentException.class, () -> DeviceBuffers.channelIndex(new int[]{448}, layers));
        assertThrows(IllegalArgumentException.class, () -> DeviceBuffers.channelIndex(new int[]{-1}, layers));
        int[] back = new int[2];
        DeviceBuffers.packInts(new int[]{7, 1 << 20}).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(back);
        assertArrayEquals(new int[]{7, 1 << 20}, back);
    }

    @Test
    void distancesUnpackFromTheDeviceCopy() {
        ByteBuffer b = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(new float[]{1, 2.5f, -3, 4});
        float[] out = new float[5];
        DeviceBuffers.unpackDistances(b, out, 3);
        assertArrayEquals(new float[]{1, 2.5f, -3, 0, 0}, out);
    }
}
