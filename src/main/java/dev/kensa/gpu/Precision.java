package dev.kensa.gpu;

/** Arithmetic precision of the TensorRT engine: FP16 where the GPU has fast half maths, FP32 for parity checks. */
public enum Precision {
    FP16, FP32;

    public static Precision parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new dev.kensa.KensaException("precision must be fp16 or fp32, not '" + s + "'");
        }
    }
}
