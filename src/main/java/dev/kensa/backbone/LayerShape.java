package dev.kensa.backbone;

import java.util.ArrayList;
import java.util.List;

/** The shape of one backbone output for one image: [channels][height][width] (NCHW without the batch). */
public record LayerShape(String name, int channels, int height, int width) {

    public int positions() {
        return height * width;
    }

    public static List<LayerShape> of(FeatureMaps maps) {
        List<LayerShape> out = new ArrayList<>();
        for (FeatureMaps.Layer l : maps.layers()) {
            out.add(new LayerShape(l.name(), l.channels(), l.height(), l.width()));
        }
        return List.copyOf(out);
    }

    public static List<LayerShape> of(DeviceFeatureMaps maps) {
        List<LayerShape> out = new ArrayList<>();
        for (DeviceFeatureMaps.Layer l : maps.layers()) {
            out.add(new LayerShape(l.name(), l.channels(), l.height(), l.width()));
        }
        return List.copyOf(out);
    }

    /** Total channels of these layers concatenated. */
    public static int totalChannels(List<LayerShape> layers) {
        int total = 0;
        for (LayerShape l : layers) {
            total += l.channels();
        }
        return total;
    }

    @Override
    public String toString() {
        return name + " " + channels + "x" + height + "x" + width;
    }
}
