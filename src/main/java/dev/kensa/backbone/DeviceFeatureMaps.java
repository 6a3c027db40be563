package dev.kensa.backbone;

import java.util.List;

/**
 * The backbone's output for a batch left in GPU memory: one NCHW float32 tensor per requested layer, in the bundle's
 * output order, by device address. The memory belongs to the backbone and is overwritten by its next batch; the
 * tensors are complete when {@link DeviceBackbone#extractOnDevice} returns, so a consumer on another stream of the
 * same context may read them at once.
 */
public record DeviceFeatureMaps(int batch, List<Layer> layers) {

    public DeviceFeatureMaps {
        layers = List.copyOf(layers);
    }

    /** One layer: [batch][channels][height][width] float32 at {@code address} (a CUdeviceptr). */
    public record Layer(String name, int channels, int height, int width, long address) {
    }
}
