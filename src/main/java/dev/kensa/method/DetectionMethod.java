package dev.kensa.method;

import java.util.List;

/**
 * The method seam (../shared/DESIGN.md §3): one anomaly-detection method, one package under
 * {@code dev.kensa.method}. A method says which backbone layers it needs, fits from good images in one streaming pass,
 * stores what it learned in the bundle, reads it back, scores batches on the CPU or the GPU, and reads and writes its
 * arrays in a notebook's folder. Fit, bundle, import and export, eval, bench, self-test and the daemon use only this
 * interface ({@link Methods} finds a method by name), so adding a method touches its package and one line in
 * {@link Methods}.
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
     * files against each other and refuses any disagreement ({@link BundleFiles#refuse}; an unreadable array file is an
     * {@link dev.kensa.array.ArrayException}, which the reader names the bundle in).
     */
    MethodModel read(BundleFiles bundle);

    /** Its arrays and its section in a notebook's folder ({@code kensa bundle import} and {@code export}). */
    MethodNotebook notebook();
}
