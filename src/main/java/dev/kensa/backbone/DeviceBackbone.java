package dev.kensa.backbone;

/**
 * A backbone whose outputs can stay on the GPU (TensorRT): a scorer on the same device then gathers the embedding
 * there, and the feature maps (about 3 MB an image for ResNet-18 layer1-3) never cross to the host.
 */
public interface DeviceBackbone extends Backbone {

    /**
     * Runs a batch and leaves the layer outputs in device memory, complete when this returns.
     *
     * @param input [batch][3][h][w] normalised planes, as {@link #extract}
     */
    DeviceFeatureMaps extractOnDevice(float[] input, int batch);
}
