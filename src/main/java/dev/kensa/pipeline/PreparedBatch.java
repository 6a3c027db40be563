package dev.kensa.pipeline;

import dev.kensa.image.ImageTensor;
import dev.kensa.quality.QualityGate;

import java.util.List;

/**
 * A batch of decoded images ready for the backbone. Images that failed to decode keep their place in
 * {@link #items()} with an error and take no slot in {@link #input()}.
 *
 * @param input   [size][3][crop][crop] planes of the images that decoded, packed
 * @param size    how many images decoded (backbone batch size)
 * @param items   every image of the batch, in input order
 */
public record PreparedBatch(float[] input, int size, List<Item> items) {

    /**
     * @param index    position in the whole input list
     * @param slot     slot in {@code input}, or -1 when the image failed
     * @param tensor   the prepared image, null on failure
     * @param error    one-line reason, null on success
     * @param decodeMs read + decode + preprocess time (and the quality gates)
     * @param qualityFailure the image-quality check it failed (its {@code error} is the check's message), else null
     */
    public record Item(int index, ImageInput input, int slot, ImageTensor tensor, String error, double decodeMs,
                       QualityGate.Check qualityFailure) {
        public Item(int index, ImageInput input, int slot, ImageTensor tensor, String error, double decodeMs) {
            this(index, input, slot, tensor, error, decodeMs, null);
        }

        public boolean ok() {
            return error == null;
        }
    }
}
