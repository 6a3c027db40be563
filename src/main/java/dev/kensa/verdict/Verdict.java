package dev.kensa.verdict;

/** The line's answer for one part. ERROR means no judgement could be made (the part must not pass unseen). */
public enum Verdict {
    OK, NG, ERROR;

    /** Score strictly above the threshold is NG (../shared/DESIGN.md §3). */
    public static Verdict of(double score, double threshold) {
        return score > threshold ? NG : OK;
    }
}
