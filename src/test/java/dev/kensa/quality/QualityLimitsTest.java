package dev.kensa.quality;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The learning rule of {@link QualityLimits} on made-up statistics, where the expected ranges follow by hand. */
class QualityLimitsTest {

    static QualityLimits learn(List<ImageQuality> stats) {
        return QualityLimits.learn(Collections.nCopies(stats.size(), "x.png"), stats);
    }

    @Test
    void aFixedCameraExpectsExactlyItsSize() {
        List<ImageQuality> s = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            s.add(new ImageQuality(640, 480, 100, 40, 100));
        }
        QualityLimits l = learn(s);
        assertEquals(new QualityLimits.Range(640, 640), l.width());
        assertEquals(new QualityLimits.Range(480, 480), l.height());
        assertEquals(640.0 / 480 / 1.03, l.aspect().lo(), 1e-12);
        assertEquals(640.0 / 480 * 1.03, l.aspect().hi(), 1e-12);
        // identical images: the minimum factors, half a stop more or less light and contrast, its square for focus
        double halfStop = Math.sqrt(2);
        assertEquals(100 / halfStop, l.brightness().lo(), 1e-9);
        assertEquals(100 * halfStop, l.brightness().hi(), 1e-9);
        assertEquals(40 / halfStop, l.contrast().lo(), 1e-9);
        assertEquals(40 * halfStop, l.contrast().hi(), 1e-9);
        assertEquals(100 / 2.0, l.focus().lo(), 1e-9);
        assertEquals(100 * 2.0, l.focus().hi(), 1e-9);
        assertEquals("learned(5 images)", l.source());
        assertEquals("image-quality limits (learned(5 images)): brightness [70.71, 141.4], contrast [28.28, 56.57], focus [50, 200], "
                + "size 640x480, aspect [1.294, 1.373]", l.summary());
    }

    @Test
    void variableSizesAreWidenedNotExact() {
        List<ImageQuality> s = new ArrayList<>();
        for (int w = 600; w <= 700; w += 10) {
            s.add(new ImageQuality(w, w, 100, 40, 100));
        }
        QualityLimits l = learn(s);
        assertTrue(l.width().lo() <= 600 / 1.25 && l.width().hi() >= 700 * 1.25, l.width().toString());
        assertEquals(l.width(), l.height());
    }

    @Test
    void oneOddImageDoesNotOpenTheLimitsWide() {
        // the spread is the median absolute deviation: 50 equal images and one brighter give the minimum factor
        // beyond the brighter one, where a standard deviation would have widened both ends
        List<ImageQuality> s = new ArrayList<>(Collections.nCopies(50, new ImageQuality(256, 256, 100, 40, 100)));
        s.add(new ImageQuality(256, 256, 150, 40, 100));
        QualityLimits l = learn(s);
        assertEquals(100 / Math.sqrt(2), l.brightness().lo(), 1e-9);
        assertEquals(150 * Math.sqrt(2), l.brightness().hi(), 1e-9);
    }

    @Test
    void aWideSpreadWidensByThreeRobustSigmasInLogSpace() {
        Random r = new Random(7);
        List<ImageQuality> s = new ArrayList<>();
        double min = Double.MAX_VALUE, max = 0;
        for (int i = 0; i < 2001; i++) {
            double focus = 100 * Math.exp(0.3 * r.nextGaussian()); // log-normal, sigma 0.3 in log
            min = Math.min(min, focus);
            max = Math.max(max, focus);
            s.add(new ImageQuality(256, 256, 100, 40, focus));
        }
        QualityLimits l = learn(s);
        // 3 x 1.4826 x MAD of a normal with sigma 0.3 is about 0.9: beyond the extremes by a factor of about e^0.9
        assertEquals(0.9, Math.log(min / l.focus().lo()), 0.05);
        assertEquals(0.9, Math.log(l.focus().hi() / max), 0.05);
    }

    @Test
    void theFloorsCutTheWideningButNeverTheObservedRange() {
        List<ImageQuality> s = new ArrayList<>(Collections.nCopies(10, new ImageQuality(256, 256, 245, 40, 100)));
        s.add(new ImageQuality(256, 256, 249.5, 40, 100));
        QualityLimits l = learn(s);
        assertEquals(250, l.brightness().hi()); // not 249.5 * sqrt 2
        assertEquals(245 / Math.sqrt(2), l.brightness().lo(), 1e-9);
        assertNull(QualityGate.all(l).check(s.get(10)));
    }

    @Test
    void whenContrastAndFocusBothFailTheOneFurtherOutIsNamed() {
        QualityLimits l = learn(Collections.nCopies(5, new ImageQuality(256, 256, 100, 40, 200)));
        // contrast [28.28, 56.57], focus [100, 400]
        QualityGate gate = QualityGate.all(l);
        // blur: contrast a little low, focus divided by 100
        assertEquals(QualityGate.Check.FOCUS, gate.check(new ImageQuality(256, 256, 100, 30, 2)).check());
        // haze: contrast divided by 4 and, with it, focus by about 16 (a little less: noise): the contrast is the cause
        assertEquals(QualityGate.Check.CONTRAST, gate.check(new ImageQuality(256, 256, 100, 10, 14)).check());
        // a flat frame: both zero, contrast named
        assertEquals(QualityGate.Check.CONTRAST, gate.check(new ImageQuality(256, 256, 100, 0, 0)).check());
        // with the contrast check off, the same frame fails focus
        QualityGate noContrast = new QualityGate(l, java.util.EnumSet.complementOf(java.util.EnumSet.of(QualityGate.Check.CONTRAST)));
        assertEquals(QualityGate.Check.FOCUS, noContrast.check(new ImageQuality(256, 256, 100, 0, 0)).check());
    }

    @Test
    void numbersInMessagesHaveFourSignificantDigits() {
        assertEquals("0", QualityGate.number(0));
        assertEquals("31.25", QualityGate.number(31.2491));
        assertEquals("0.1235", QualityGate.number(0.123456));
        assertEquals("1040000", QualityGate.number(16 * 255.0 * 255.0));
        assertEquals("250", QualityGate.number(250.0));
    }

    @Test
    void limitsMeasuredAtAnotherSideAreAProblem() {
        QualityLimits f = QualityLimits.FLOORS;
        assertNull(f.problem());
        QualityLimits other = new QualityLimits("learned(3 images)", 512, f.brightness(), f.contrast(), f.focus(),
                f.width(), f.height(), f.aspect());
        assertEquals("measured at side 512, this version measures at 256", other.problem());
    }
}
