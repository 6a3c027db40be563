package dev.kensa.quality;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.kensa.KensaException;

import java.util.Arrays;
import java.util.List;

/**
 * Accepted ranges of the {@link ImageQuality} statistics: learned at fit time from the good images, or the absolute
 * {@link #FLOORS} for bundles fitted before the gates existed. Stored in {@code calibration.json}.
 *
 * <h2>The learning rule</h2>
 * Each range is the observed range of the fit images, widened beyond both extremes by the larger of
 * {@value #SPREADS} robust standard deviations (1.4826 x the median absolute deviation) of the same values and a
 * minimum factor, in log space, then cut to the absolute floors.
 * <ul>
 *   <li>Never tighter than observed: every fit image passes its own limits, so a gate cannot reject what the model
 *       was fitted on.</li>
 *   <li>Widened, because the extremes of n images are not the extremes of the line: a new good image falls outside
 *       the observed [min, max] with probability about 2/(n+1) (1 % for 200 images), far too often for an ERROR.
 *       The gates are for camera faults (a black frame, a blown exposure, a lens out of focus, a wrong camera mode),
 *       which move these statistics far; slow change is the drift monitor's job. Most of all, a defective part must
 *       not become a "camera fault": a missing component or a large stain moves the mean grey level and the contrast
 *       of the whole image by some percent, and such a part must reach the model and come out NG.</li>
 *   <li>Log space: exposure, gain and lighting act by a factor, blur divides the focus by a factor, and a limit in log
 *       space cannot fall below zero.</li>
 *   <li>Robust spread (MAD, not the standard deviation): one odd fit image must not open the limits wide.</li>
 *   <li>Minimum factors: half a photographic stop ({@code sqrt 2}) more or less light, or contrast, than any fit
 *       image had ({@link #MIN_FACTOR_BRIGHTNESS}, {@link #MIN_FACTOR_CONTRAST}) is a lighting or exposure fault,
 *       not a part. Smaller changes are the drift monitor's, and a part can make them: a missing or extra component
 *       covering a fifth of the view and 100 grey levels darker or lighter than what it replaces moves the mean by 20
 *       levels, a quarter of a mean of 80 (measured: a missing transistor on MVTec transistor is 1.25x brighter than
 *       the brightest of 8 fit goods, which a factor of a quarter refused as a camera fault). A lamp out, a wrong
 *       exposure or gain is a factor of 2 or more. Focus goes with the square of contrast, so its factor is the
 *       square ({@link #MIN_FACTOR_FOCUS}, 2). They keep a
 *       set of near identical images (a fixed camera, few fit images) from learning a razor-thin range.</li>
 *   <li>Size: a camera sends one resolution. When every fit image has the same size, that exact size is expected and
 *       anything else (another camera mode, a wrong ROI, a thumbnail) is refused; when the fit images vary in size,
 *       width and height are widened by the rule above with {@link #MIN_FACTOR_SIZE}. The aspect ratio is widened by
 *       {@link #MIN_FACTOR_ASPECT} (rounding of crops and rescales); it stays useful when the size check is switched
 *       off for a source that rescales its images.</li>
 * </ul>
 * None of these constants was fitted to a dataset; they are the rule above written down. The tests check the
 * consequence on real images: the test goods and the test defects of two categories pass the limits learned from
 * the training goods, the faults do not.
 *
 * @param source     "learned(n images)" or "floors"
 * @param side       side of the square the statistics were measured on ({@link ImageQuality#SIDE})
 * @param brightness mean grey level range
 * @param contrast   grey standard deviation range
 * @param focus      Laplacian variance range
 * @param width      accepted widths in pixels
 * @param height     accepted heights in pixels
 * @param aspect     accepted width / height
 */
@JsonPropertyOrder({"source", "side", "brightness", "contrast", "focus", "width", "height", "aspect"})
public record QualityLimits(String source, int side, Range brightness, Range contrast, Range focus, Range width,
                            Range height, Range aspect) {

    /** Robust standard deviations added beyond the observed extremes. */
    public static final double SPREADS = 3.0;
    public static final double MIN_FACTOR_BRIGHTNESS = Math.sqrt(2);
    public static final double MIN_FACTOR_CONTRAST = Math.sqrt(2);
    public static final double MIN_FACTOR_FOCUS = MIN_FACTOR_CONTRAST * MIN_FACTOR_CONTRAST;
    public static final double MIN_FACTOR_SIZE = 1.25;
    public static final double MIN_FACTOR_ASPECT = 1.03;
    /** 1.4826 x MAD estimates the standard deviation of a normal distribution. */
    private static final double MAD_TO_SIGMA = 1.4826;

    /**
     * Absolute floors: what no camera should send, whatever the part. Brightness within 2 % of black or white is a
     * frame that is almost all clipped. A grey standard deviation under 2 levels (at the model's 256 px scale, after
     * the downscale has averaged away sensor noise) is a flat frame: a lens cap, a covered camera, a uniform wall. A
     * Laplacian variance under 1 is less than the 8-bit rounding of the resized image adds to a busy image (about
     * 0.75): no edge at all at the model's resolution. Below 128 px a side the image is upsampled more than 2x into the model's square, so
     * its detail is not what any model was fitted on (and 1x1 or 64x64 junk is refused); 65535 is the largest side
     * JPEG can carry. Aspect beyond 10:1 is squashed past recognition by the square resize. The upper ends of
     * contrast and focus are their largest possible values for 8-bit images (never a limit).
     */
    public static final QualityLimits FLOORS = new QualityLimits("floors", ImageQuality.SIDE,
            new Range(5, 250), new Range(2, 127.5), new Range(1, 16 * 255.0 * 255.0),
            new Range(128, 65535), new Range(128, 65535), new Range(0.1, 10));

    public QualityLimits {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("quality limits need a source");
        }
    }

    /** A closed range [lo, hi]. */
    public record Range(double lo, double hi) {
        public Range {
            if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
                throw new IllegalArgumentException("range must be finite with lo <= hi, got [" + lo + ", " + hi + "]");
            }
        }

        public boolean contains(double v) {
            return v >= lo && v <= hi;
        }
    }

    /** True when these are the absolute floors rather than limits learned from good images. */
    @JsonIgnore
    public boolean isFloors() {
        return "floors".equals(source);
    }

    /**
     * Learns limits from the good images a model is fitted on, after checking each of them against the floors.
     *
     * @param files names of the images, for the error message (same order as {@code stats})
     * @throws KensaException when a fit image fails the floors: one line naming how many fail, the first file and
     *                        its check, e.g. {@code 3 of 209 fit images fail the image-quality floors; first
     *                        train/good/013.png: image-quality: brightness: 2.1 outside [5, 250]}
     */
    public static QualityLimits learn(List<String> files, List<ImageQuality> stats) {
        if (files.size() != stats.size()) {
            throw new IllegalArgumentException(files.size() + " file names for " + stats.size() + " images");
        }
        if (stats.isEmpty()) {
            throw new KensaException("no fit images to learn image-quality limits from");
        }
        requireWithinFloors(files, stats);
        int n = stats.size();
        double[] brightness = new double[n];
        double[] contrast = new double[n];
        double[] focus = new double[n];
        double[] width = new double[n];
        double[] height = new double[n];
        double[] aspect = new double[n];
        for (int i = 0; i < n; i++) {
            ImageQuality q = stats.get(i);
            brightness[i] = q.brightness();
            contrast[i] = q.contrast();
            focus[i] = q.focus();
            width[i] = q.width();
            height[i] = q.height();
            aspect[i] = q.aspect();
        }
        return new QualityLimits("learned(" + n + " images)", ImageQuality.SIDE,
                widen(brightness, MIN_FACTOR_BRIGHTNESS, FLOORS.brightness),
                widen(contrast, MIN_FACTOR_CONTRAST, FLOORS.contrast),
                widen(focus, MIN_FACTOR_FOCUS, FLOORS.focus),
                sizeRange(width, FLOORS.width),
                sizeRange(height, FLOORS.height),
                widen(aspect, MIN_FACTOR_ASPECT, FLOORS.aspect));
    }

    /**
     * Refuses a fit whose images fail the absolute floors (a black or flat frame among the good images would teach the
     * model that a camera fault is a good part).
     *
     * @throws KensaException naming the count, the first failing file and its check
     */
    public static void requireWithinFloors(List<String> files, List<ImageQuality> stats) {
        QualityGate floors = QualityGate.all(FLOORS);
        int failing = 0;
        String first = null;
        for (int i = 0; i < stats.size(); i++) {
            QualityGate.Failure f = floors.check(stats.get(i));
            if (f != null) {
                if (failing++ == 0) {
                    first = files.get(i) + ": " + f.message();
                }
            }
        }
        if (failing > 0) {
            throw new KensaException(failing + " of " + stats.size() + " fit images fail the image-quality floors; first "
                    + first);
        }
    }

    /** One line for {@code fit} and {@code bundle info}. */
    public String summary() {
        String size = width.lo == width.hi && height.lo == height.hi
                ? (int) width.lo + "x" + (int) height.lo
                : "[" + QualityGate.size(width.lo, height.lo) + ", " + QualityGate.size(width.hi, height.hi) + "]";
        return "image-quality limits (" + source + "): brightness " + QualityGate.range(brightness)
                + ", contrast " + QualityGate.range(contrast) + ", focus " + QualityGate.range(focus)
                + ", size " + size + ", aspect " + QualityGate.range(aspect);
    }

    /**
     * Checks limits read from a file: measured at the side this version measures at, and every range inside the
     * statistic's possible values.
     *
     * @return null when valid, else what is wrong
     */
    public String problem() {
        if (side != ImageQuality.SIDE) {
            return "measured at side " + side + ", this version measures at " + ImageQuality.SIDE;
        }
        for (Object[] r : new Object[][]{{"brightness", brightness}, {"contrast", contrast}, {"focus", focus},
                {"width", width}, {"height", height}, {"aspect", aspect}}) {
            if (r[1] == null) {
                return r[0] + " missing";
            }
            if (((Range) r[1]).lo < 0) {
                return r[0] + " lower limit " + ((Range) r[1]).lo + " is negative";
            }
        }
        return null;
    }

    /** Observed range widened in log space by max(SPREADS robust sigmas, ln minFactor), cut to the floor. */
    private static Range widen(double[] values, double minFactor, Range floor) {
        double[] t = new double[values.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = Math.log(Math.max(values[i], Double.MIN_NORMAL));
        }
        double min = Arrays.stream(values).min().orElseThrow();
        double max = Arrays.stream(values).max().orElseThrow();
        double margin = Math.max(SPREADS * MAD_TO_SIGMA * mad(t), Math.log(minFactor));
        double lo = Math.max(Math.exp(Math.log(min) - margin), floor.lo);
        double hi = Math.min(Math.exp(Math.log(max) + margin), floor.hi);
        // the floors cut the widening, never the observed range
        return new Range(Math.min(lo, min), Math.max(hi, max));
    }

    private static Range sizeRange(double[] sides, Range floor) {
        double min = Arrays.stream(sides).min().orElseThrow();
        double max = Arrays.stream(sides).max().orElseThrow();
        if (min == max) {
            return new Range(min, max);
        }
        Range r = widen(sides, MIN_FACTOR_SIZE, floor);
        // whole pixels, rounded outwards (the 1e-9 keeps 874.99999 from exp/log at 875)
        return new Range(Math.floor(r.lo + 1e-9), Math.ceil(r.hi - 1e-9));
    }

    private static double mad(double[] v) {
        double med = median(v);
        double[] dev = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            dev[i] = Math.abs(v[i] - med);
        }
        return median(dev);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
