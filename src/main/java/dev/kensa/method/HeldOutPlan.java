package dev.kensa.method;

/**
 * How a fit scores its own training images with models that did not see them, for the threshold: k-fold
 * out-of-fold, or leave-one-out. Each method says which modes it has ({@link DetectionMethod#heldOutModes()}).
 */
public record HeldOutPlan(Mode mode, int folds) {

    public enum Mode {
        /** k models, each fitted without one fold of the images, score that fold. */
        KFOLD("kfold"),
        /** Every image scored by a model of all the others (exact where the method allows, see its docs). */
        LOO("loo");

        public final String label;

        Mode(String label) {
            this.label = label;
        }

        public static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.label.equalsIgnoreCase(s == null ? "" : s.trim())) {
                    return m;
                }
            }
            throw new dev.kensa.KensaException("calibration must be kfold or loo, not '" + s + "'");
        }
    }

    public static HeldOutPlan kfold(int folds) {
        return new HeldOutPlan(Mode.KFOLD, folds);
    }

    public static HeldOutPlan loo() {
        return new HeldOutPlan(Mode.LOO, 0);
    }

    /** Fold of each image: a seeded shuffle dealt round-robin, so folds differ in size by at most one. */
    public static int[] assignFolds(int n, int k, long seed) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Collections.shuffle(java.util.Arrays.asList(order), new java.util.Random(seed ^ 0x5DEECE66DL));
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            fold[order[i]] = i % k;
        }
        return fold;
    }
}
