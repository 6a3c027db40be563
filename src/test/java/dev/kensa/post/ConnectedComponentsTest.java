package dev.kensa.post;

import dev.kensa.post.ConnectedComponents.Component;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectedComponentsTest {

    /** '#' = true, anything else false; rows separated by '/'. */
    private static boolean[] mask(String rows) {
        String[] r = rows.split("/");
        boolean[] m = new boolean[r.length * r[0].length()];
        for (int y = 0; y < r.length; y++) {
            for (int x = 0; x < r[y].length(); x++) {
                m[y * r[0].length() + x] = r[y].charAt(x) == '#';
            }
        }
        return m;
    }

    @Test
    void diagonalsJoinUnder8Connectivity() {
        // #..
        // .#.
        // ..#   one component (4-connectivity would give three)
        List<Component> cs = ConnectedComponents.components(mask("#../.#./..#"), 3, 3);
        assertEquals(List.of(new Component(1, 0, 0, 2, 2, 3)), cs);

        // anti-diagonal the same
        cs = ConnectedComponents.components(mask("..#/.#./#.."), 3, 3);
        assertEquals(List.of(new Component(1, 0, 0, 2, 2, 3)), cs);
    }

    @Test
    void separateBlobsLabelledInRasterOrderWithBoxesAndAreas() {
        // ##..#    blob 1: 2x2 square top-left, first pixel index 0
        // ##...    blob 2: (4,0) alone, index 4  ((3,1) and (4,1) are empty)
        // ....#    blob 3: (4,2),(4,3), first index 2*5+4 = 14
        // .#..#    blob 4: (1,3) alone, index 3*5+1 = 16
        boolean[] m = mask("##..#/##.../....#/.#..#");
        int[] labels = ConnectedComponents.label(m, 5, 4);
        assertArrayEquals(new int[] {
                1, 1, 0, 0, 2,
                1, 1, 0, 0, 0,
                0, 0, 0, 0, 3,
                0, 4, 0, 0, 3}, labels);
        List<Component> cs = ConnectedComponents.components(m, 5, 4);
        assertEquals(List.of(
                new Component(1, 0, 0, 1, 1, 4),
                new Component(2, 4, 0, 4, 0, 1),
                new Component(3, 4, 2, 4, 3, 2),
                new Component(4, 1, 3, 1, 3, 1)), cs);
        assertEquals(2, cs.get(0).width());
        assertEquals(2, cs.get(2).height());
        // the labels-only overload gives the same boxes
        assertEquals(cs, ConnectedComponents.components(labels, 5, 4));
    }

    @Test
    void armsThatMeetLaterAreOneComponent() {
        // #...#   the two arms look separate on the first rows
        // #...#   and join along the bottom row: a U, area 4+4+3 = 11
        // #...#
        // #####
        List<Component> cs = ConnectedComponents.components(mask("#...#/#...#/#...#/#####"), 5, 4);
        assertEquals(List.of(new Component(1, 0, 0, 4, 3, 11)), cs);
    }

    @Test
    void fullFrameIsOneComponentWithoutStackOverflow() {
        boolean[] m = new boolean[224 * 224];
        Arrays.fill(m, true);
        List<Component> cs = ConnectedComponents.components(m, 224, 224);
        assertEquals(List.of(new Component(1, 0, 0, 223, 223, 224 * 224)), cs);
    }

    @Test
    void emptyMaskHasNoComponents() {
        boolean[] m = new boolean[12];
        int[] labels = ConnectedComponents.label(m, 4, 3);
        assertArrayEquals(new int[12], labels);
        assertTrue(ConnectedComponents.components(m, 4, 3).isEmpty());
    }

    @Test
    void singleRowAndColumn() {
        // width 1 / height 1: no wrap-around between rows
        assertEquals(2, ConnectedComponents.components(mask("##.#"), 4, 1).size());
        assertEquals(2, ConnectedComponents.components(mask("#/#/./#"), 1, 4).size());
        // a pixel at the end of a row is not adjacent to the start of the next one
        assertEquals(2, ConnectedComponents.components(mask("..#/#.."), 3, 2).size());
    }

    @Test
    void matchesRecursiveReferenceOnRandomMasks() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int w = 1 + rnd.nextInt(30);
            int h = 1 + rnd.nextInt(20);
            double density = rnd.nextDouble();
            boolean[] m = new boolean[w * h];
            for (int p = 0; p < m.length; p++) {
                m[p] = rnd.nextDouble() < density;
            }
            assertArrayEquals(referenceLabels(m, w, h), ConnectedComponents.label(m, w, h),
                    "trial " + trial + " " + w + "x" + h);
        }
    }

    @Test
    void rejectsWrongSize() {
        assertThrows(IllegalArgumentException.class,
                () -> ConnectedComponents.label(new boolean[10], 3, 3));
        assertThrows(IllegalArgumentException.class,
                () -> ConnectedComponents.components(new int[10], 3, 3));
    }

    /** Textbook recursive flood fill, seeds in raster order: fine for small masks. */
    private static int[] referenceLabels(boolean[] m, int w, int h) {
        int[] labels = new int[m.length];
        int next = 0;
        for (int p = 0; p < m.length; p++) {
            if (m[p] && labels[p] == 0) {
                fill(m, labels, w, h, p % w, p / w, ++next);
            }
        }
        return labels;
    }

    private static void fill(boolean[] m, int[] labels, int w, int h, int x, int y, int label) {
        if (x < 0 || y < 0 || x >= w || y >= h || !m[y * w + x] || labels[y * w + x] != 0) {
            return;
        }
        labels[y * w + x] = label;
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                fill(m, labels, w, h, x + dx, y + dy, label);
            }
        }
    }
}
