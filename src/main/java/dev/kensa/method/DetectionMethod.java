package dev.kensa.method;

import java.util.List;

/**
 * The method seam (DESIGN.md §3): one anomaly-detection method, one package under {@code dev.kensa.method}. A method
 * says which backbone layers it needs, fits from good images in one streaming pass, stores what it learned in the
 * bundle, reads it back, and scores batches on the CPU or the GPU. Fit, bundle, eval, bench, self-test and the daemon
 * use only this interface ({@link Methods} finds a method by name), so adding a method touches none of them.
 */
public interface DetectionMethod {

    /** The name in bundles ({@code manifest.method}) and on the command line ({@code --method}). */
    String name();

    /** One line for people: what the method models and how it scores. */
    String summary();

    /** Backbone outputs the fit uses when none are named, in embedding order (the first one's grid is the map's). */
    List<String> defaultLayers();

    /** Held-out calibration modes this method can score its training images with, the default first. */
    List<HeldOutPlan.Mode> heldOutModes();

    /**
     * A fit on the backbone outputs of the good images, checking the options against the layers before any image is
     * read (one-line {@link dev.kensa.KensaException} for an option the method cannot use).
     */
    MethodFitter fitter(FitContext context);

    /**
     * The method's part of a bundle whose files all matched their checksums: validates its manifest section and its
     * files against each other and refuses any disagreement with a {@link dev.kensa.bundle.BundleException}.
     */
    MethodModel read(BundleFiles bundle);
}
