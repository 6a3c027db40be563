package dev.kensa.quality;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.bytedeco.opencv.opencv_core.Mat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The image-quality gates before scoring (../shared/DESIGN.md §3): a camera fault becomes an {@code ERROR} result naming the
 * check, never an NG. Immutable and thread-safe.
 *
 * <p>Checks run in a fixed order and the first failure is reported: size and aspect first (a wrong camera mode or ROI
 * makes every other statistic meaningless), then brightness (a black or blown-out frame also has no contrast and no
 * focus, but "too dark" is what the technician must hear), then contrast (a flat frame) or focus (a blurred one):
 * when both fail, the one further outside its range, see {@link #check(ImageQuality)}.
 */
public final class QualityGate {

    /** One gate; {@link #id()} is the name in error messages, config keys and the metric label. */
    public enum Check {
        SIZE("size"), ASPECT("aspect"), BRIGHTNESS("brightness"), CONTRAST("contrast"), FOCUS("focus");

        private final String id;

        Check(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** @throws IllegalArgumentException naming the known checks when {@code id} is none of them */
        public static Check of(String id) {
            for (Check c : values()) {
                if (c.id.equals(id)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown image-quality check '" + id
                    + "' (known: size, aspect, brightness, contrast, focus)");
        }
    }

    /**
     * A failed check.
     *
     * @param message exactly {@code image-quality: <check>: <measured> outside [<lo>, <hi>]}, e.g.
     *                {@code image-quality: brightness: 0 outside [31.2, 96.4]} or
     *                {@code image-quality: size: 450x450 outside [900x900, 900x900]}
     */
    public record Failure(Check check, String message) {
    }

    private final QualityLimits limits;
    private final EnumSet<Check> enabled;

    /**
     * @param limits  learned limits, or null for a bundle without them (older bundles): the absolute floors apply
     * @param enabled the checks to run (the others are switched off by configuration)
     */
    public QualityGate(QualityLimits limits, Set<Check> enabled) {
        this.limits = limits != null ? limits : QualityLimits.FLOORS;
        this.enabled = enabled.isEmpty() ? EnumSet.noneOf(Check.class) : EnumSet.copyOf(enabled);
    }

    /**
     * The checks left on when {@code disabled} are switched off (configuration, CLI).
     *
     * @throws IllegalArgumentException naming the known checks for an unknown name
     */
    public static EnumSet<Check> enabledExcept(java.util.Collection<String> disabled) {
        EnumSet<Check> on = EnumSet.allOf(Check.class);
        for (String name : disabled) {
            String n = name.strip();
            if (!n.isEmpty()) {
                on.remove(Check.of(n));
            }
        }
        return on;
    }

    /** The checks switched off, in check order. */
    public Set<Check> disabled() {
        return EnumSet.complementOf(enabled);
    }

    /**
     * The gates for the status API and the model info: {@code limits} ("learned(209 images)" or "floors": a bundle
     * without learned limits), the ranges in force, and the checks on and off.
     */
    @JsonPropertyOrder({"limits", "learned", "enabled", "disabled", "ranges"})
    public record Description(String limits, boolean learned, List<String> enabled, List<String> disabled,
                              Ranges ranges) {
    }

    /** Each statistic's range in force, {@code [lo, hi]}. */
    @JsonPropertyOrder({"brightness", "contrast", "focus", "width", "height", "aspect"})
    public record Ranges(List<Double> brightness, List<Double> contrast, List<Double> focus, List<Double> width,
                         List<Double> height, List<Double> aspect) {
    }

    public Description describe() {
        return new Description(limits.source(), !limits.isFloors(), enabled.stream().map(Check::id).toList(),
                disabled().stream().map(Check::id).toList(),
                new Ranges(pair(limits.brightness()), pair(limits.contrast()), pair(limits.focus()),
                        pair(limits.width()), pair(limits.height()), pair(limits.aspect())));
    }

    private static List<Double> pair(QualityLimits.Range r) {
        return List.of(r.lo(), r.hi());
    }

    /** Every check against {@code limits} (null: the floors). */
    public static QualityGate all(QualityLimits limits) {
        return new QualityGate(limits, EnumSet.allOf(Check.class));
    }

    public QualityLimits limits() {
        return limits;
    }

    public Set<Check> enabled() {
        return EnumSet.copyOf(enabled);
    }

    /** True when every check is switched off: {@link #check(Mat)} does not even measure. */
    public boolean off() {
        return enabled.isEmpty();
    }

    /**
     * Measures and checks a decoded 8-bit BGR image (the caller keeps owning it).
     *
     * @return null when the image passes, else the first failure
     */
    public Failure check(Mat image) {
        return off() ? null : check(ImageQuality.measure(image));
    }

    /** @return null when the image passes, else the first failure */
    public Failure check(ImageQuality q) {
        if (enabled.contains(Check.SIZE) && !(limits.width().contains(q.width()) && limits.height().contains(q.height()))) {
            return new Failure(Check.SIZE, message(Check.SIZE, size(q.width(), q.height()),
                    size(limits.width().lo(), limits.height().lo()), size(limits.width().hi(), limits.height().hi())));
        }
        if (enabled.contains(Check.ASPECT) && !limits.aspect().contains(q.aspect())) {
            return failure(Check.ASPECT, q.aspect(), limits.aspect());
        }
        if (enabled.contains(Check.BRIGHTNESS) && !limits.brightness().contains(q.brightness())) {
            return failure(Check.BRIGHTNESS, q.brightness(), limits.brightness());
        }
        // blur also lowers the contrast a little, and a flat frame has no focus either: when both fail, the
        // statistic that left its range by the larger factor is the cause; focus goes with the square of contrast,
        // so its factor counts by its square root
        double contrastOut = enabled.contains(Check.CONTRAST) ? logOutside(q.contrast(), limits.contrast()) : 0;
        double focusOut = enabled.contains(Check.FOCUS) ? 0.5 * logOutside(q.focus(), limits.focus()) : 0;
        if (contrastOut > 0 && contrastOut >= focusOut) {
            return failure(Check.CONTRAST, q.contrast(), limits.contrast());
        }
        if (focusOut > 0) {
            return failure(Check.FOCUS, q.focus(), limits.focus());
        }
        return null;
    }

    /** ln of the factor by which {@code v} lies outside {@code r}: 0 inside, infinite for 0 below a positive limit. */
    private static double logOutside(double v, QualityLimits.Range r) {
        if (v < r.lo()) {
            return v <= 0 ? Double.POSITIVE_INFINITY : Math.log(r.lo() / v);
        }
        if (v > r.hi()) {
            return r.hi() <= 0 ? Double.POSITIVE_INFINITY : Math.log(v / r.hi());
        }
        return 0;
    }

    private static Failure failure(Check c, double measured, QualityLimits.Range r) {
        return new Failure(c, message(c, number(measured), number(r.lo()), number(r.hi())));
    }

    private static String message(Check c, String measured, String lo, String hi) {
        return "image-quality: " + c.id() + ": " + measured + " outside [" + lo + ", " + hi + "]";
    }

    static String size(double w, double h) {
        return (long) w + "x" + (long) h;
    }

    static String range(QualityLimits.Range r) {
        return "[" + number(r.lo()) + ", " + number(r.hi()) + "]";
    }

    /** Four significant digits, no exponent, no trailing zeros: 0, 31.25, 0.1234, 1041000. */
    static String number(double v) {
        if (!Double.isFinite(v)) {
            return String.valueOf(v).toLowerCase(Locale.ROOT);
        }
        if (v == 0) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
