package dev.kensa.image;

import dev.kensa.KensaException;

/**
 * Proves a JPEG complete before it is decoded. libjpeg, meeting the end of the data inside a scan, warns and fills
 * the missing blocks grey, so a file cut in half (even with an end-of-image marker appended) decodes "successfully"
 * and would be scored. This walks the file as a decoder does: the marker segments, then the entropy-coded data of
 * every scan, Huffman-decoding each block's coefficients (without dequantising or transforming them) and counting
 * the MCUs. A scan whose data runs into a marker before its last MCU, a missing restart marker, or an end of image
 * before every component is fully coded (all scans of a progressive image) is refused.
 *
 * <p>Huffman-coded sequential and progressive JPEGs are read (baseline, extended, progressive: what cameras write);
 * lossless, hierarchical and arithmetic-coded ones are refused, since their completeness is not checked here.
 *
 * <p>Hand-written on purpose: OpenCV's {@code imdecode}, the decoder every source uses, has no strict mode. It returns
 * the full-size image with the missing rows grey and says so only in a libjpeg warning on stderr, which the caller
 * never sees.
 */
final class JpegScan {
    private final byte[] d;
    private final String what;

    // frame
    private boolean progressive;
    private int width;
    private int height;
    private int[] compId;
    private int[] compH;
    private int[] compV;
    private int hMax;
    private int vMax;
    private int mcusPerLine;
    private int mcuRows;
    // tables and state
    private final Huffman[] dc = new Huffman[4];
    private final Huffman[] ac = new Huffman[4];
    private int restartInterval;
    /** Per component: lowest successive-approximation bit reached per coefficient, -1 = not coded yet. */
    private int[][] coefBits;
    /** Per component, progressive only: a bit per coefficient (zigzag order) already non-zero, per block. */
    private long[][] nonZero;
    private int scans;

    // entropy-coded data reader
    private int pos;
    private long bitBuf;
    private int bitCount;
    private int markerAt = -1;
    private int eobRun;

    private JpegScan(byte[] d) {
        this.d = d;
        this.what = "JPEG (" + d.length + " bytes)";
    }

    /** @throws KensaException saying "truncated JPEG" or why the file is not a JPEG Kensa can verify */
    static void checkComplete(byte[] data) {
        new JpegScan(data).walk();
    }

    static boolean isFrameMarker(int m) {
        return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
    }

    private void walk() {
        pos = 2; // after SOI
        while (true) {
            int marker = nextMarker();
            if (marker == 0xd9) { // EOI
                checkAllCoded();
                return;
            }
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                continue;
            }
            if (pos + 2 > d.length) {
                throw truncated("a marker segment is cut short");
            }
            int length = ImageHeader.u16be(d, pos);
            if (length < 2 || pos + length > d.length) {
                throw truncated("a marker segment is cut short");
            }
            int body = pos + 2;
            int end = pos + length;
            if (isFrameMarker(marker)) {
                frame(marker, body, end);
            } else if (marker == 0xc4) {
                huffmanTables(body, end);
            } else if (marker == 0xdd) {
                restartInterval = ImageHeader.u16be(d, body);
            } else if (marker == 0xda) {
                pos = end;
                scan(body, end);
                continue; // scan() leaves pos at the marker that ends the scan
            } else if (marker == 0xdc) {
                throw new KensaException("unsupported JPEG: the height is deferred to a DNL marker");
            }
            pos = end;
        }
    }

    /** The next marker code at pos (after fill bytes); pos moves past it. */
    private int nextMarker() {
        if (pos >= d.length) {
            throw truncated("no end-of-image marker");
        }
        if ((d[pos] & 0xff) != 0xff) {
            throw corrupt("no marker at byte " + pos);
        }
        while (pos < d.length && (d[pos] & 0xff) == 0xff) {
            pos++;
        }
        if (pos >= d.length) {
            throw truncated("no end-of-image marker");
        }
        return d[pos++] & 0xff;
    }

    private void frame(int marker, int at, int end) {
        if (compId != null) {
            throw corrupt("more than one frame");
        }
        if (marker != 0xc0 && marker != 0xc1 && marker != 0xc2) {
            throw new KensaException("unsupported JPEG coding (SOF" + (marker - 0xc0)
                    + ": lossless, hierarchical or arithmetic-coded); Kensa reads baseline, extended and progressive JPEG");
        }
        progressive = marker == 0xc2;
        height = ImageHeader.u16be(d, at + 1);
        width = ImageHeader.u16be(d, at + 3);
        int n = d[at + 5] & 0xff;
        if (height == 0) {
            throw new KensaException("unsupported JPEG: the height is deferred to a DNL marker");
        }
        if (n < 1 || n > 4 || at + 6 + 3 * n > end || width == 0) {
            throw corrupt("bad frame header");
        }
        compId = new int[n];
        compH = new int[n];
        compV = new int[n];
        for (int i = 0; i < n; i++) {
            int c = at + 6 + 3 * i;
            compId[i] = d[c] & 0xff;
            compH[i] = (d[c + 1] & 0xff) >> 4;
            compV[i] = d[c + 1] & 0x0f;
            if (compH[i] < 1 || compH[i] > 4 || compV[i] < 1 || compV[i] > 4) {
                throw corrupt("bad sampling factors");
            }
            hMax = Math.max(hMax, compH[i]);
            vMax = Math.max(vMax, compV[i]);
        }
        mcusPerLine = ceilDiv(width, 8 * hMax);
        mcuRows = ceilDiv(height, 8 * vMax);
        coefBits = new int[n][64];
        for (int[] c : coefBits) {
            java.util.Arrays.fill(c, -1);
        }
        if (progressive) {
            nonZero = new long[n][];
            for (int i = 0; i < n; i++) {
                nonZero[i] = new long[mcusPerLine * compH[i] * mcuRows * compV[i]];
            }
        }
    }

    private void huffmanTables(int at, int end) {
        while (at < end) {
            int tc = (d[at] & 0xff) >> 4;
            int th = d[at] & 0x0f;
            if (tc > 1 || th > 3 || at + 17 > end) {
                throw corrupt("bad Huffman table");
            }
            int[] counts = new int[17];
            int total = 0;
            for (int l = 1; l <= 16; l++) {
                counts[l] = d[at + l] & 0xff;
                total += counts[l];
            }
            if (total > 256 || at + 17 + total > end) {
                throw corrupt("bad Huffman table");
            }
            int[] symbols = new int[total];
            for (int i = 0; i < total; i++) {
                symbols[i] = d[at + 17 + i] & 0xff;
            }
            (tc == 0 ? dc : ac)[th] = new Huffman(counts, symbols);
            at += 17 + total;
        }
    }

    private void scan(int at, int end) {
        if (compId == null) {
            throw corrupt("image data before the frame header");
        }
        int ns = d[at] & 0xff;
        if (ns < 1 || ns > 4 || at + 1 + 2 * ns + 3 > end) {
            throw corrupt("bad scan header");
        }
        int[] comps = new int[ns];
        Huffman[] dcs = new Huffman[ns];
        Huffman[] acs = new Huffman[ns];
        for (int i = 0; i < ns; i++) {
            int id = d[at + 1 + 2 * i] & 0xff;
            int tables = d[at + 2 + 2 * i] & 0xff;
            comps[i] = -1;
            for (int c = 0; c < compId.length; c++) {
                if (compId[c] == id) {
                    comps[i] = c;
                }
            }
            if (comps[i] < 0) {
                throw corrupt("scan names an unknown component");
            }
            dcs[i] = dc[(tables >> 4) & 3];
            acs[i] = ac[tables & 3];
        }
        int p = at + 1 + 2 * ns;
        int ss = d[p] & 0xff;
        int se = d[p + 1] & 0xff;
        int ah = (d[p + 2] & 0xff) >> 4;
        int al = d[p + 2] & 0x0f;
        if (!progressive) {
            ss = 0;
            se = 63;
            ah = 0;
            al = 0;
        } else if (ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13) {
            throw corrupt("bad progressive scan parameters");
        }
        for (int i = 0; i < ns; i++) {
            boolean needDc = ss == 0 && ah == 0;
            boolean needAc = se > 0;
            if ((needDc && dcs[i] == null) || (needAc && acs[i] == null)) {
                throw corrupt("scan uses an undefined Huffman table");
            }
        }
        scans++;

        int mcus;
        int[] blocksInMcu;
        if (ns == 1) { // non-interleaved: one block per MCU over the component's own block grid
            int c = comps[0];
            mcus = blocksWide(c) * blocksHigh(c);
            blocksInMcu = new int[]{1};
        } else {
            mcus = mcusPerLine * mcuRows;
            blocksInMcu = new int[ns];
            for (int i = 0; i < ns; i++) {
                blocksInMcu[i] = compH[comps[i]] * compV[comps[i]];
            }
        }
        startEntropy();
        int restarts = 0;
        for (int m = 0; m < mcus; m++) {
            if (restartInterval > 0 && m > 0 && m % restartInterval == 0) {
                expectRestart(restarts++, m, mcus);
            }
            for (int i = 0; i < ns; i++) {
                int c = comps[i];
                for (int b = 0; b < blocksInMcu[i]; b++) {
                    if (!progressive) {
                        sequentialBlock(dcs[i], acs[i], m, mcus);
                    } else if (ss == 0) {
                        if (ah == 0) {
                            skip(receiveSize(dcs[i], m, mcus), m, mcus);
                        } else {
                            skip(1, m, mcus);
                        }
                    } else {
                        long[] nz = nonZero[c];
                        int block = ns == 1 ? blockIndex(c, m) : -1;
                        if (ah == 0) {
                            acFirst(acs[i], nz, block, ss, se, m, mcus);
                        } else {
                            acRefine(acs[i], nz, block, ss, se, m, mcus);
                        }
                    }
                }
            }
        }
        endEntropy();
        for (int c : comps) {
            for (int k = ss; k <= se; k++) {
                coefBits[c][k] = al;
            }
        }
    }

    private void sequentialBlock(Huffman dcTable, Huffman acTable, int m, int mcus) {
        skip(receiveSize(dcTable, m, mcus), m, mcus);
        for (int k = 1; k < 64; ) {
            int rs = decode(acTable, m, mcus);
            int r = rs >> 4;
            int s = rs & 15;
            if (s == 0) {
                if (r != 15) {
                    break; // end of block
                }
                k += 16;
            } else {
                k += r;
                skip(s, m, mcus);
                k++;
            }
        }
    }

    private void acFirst(Huffman table, long[] nz, int block, int ss, int se, int m, int mcus) {
        if (eobRun > 0) {
            eobRun--;
            return;
        }
        for (int k = ss; k <= se; ) {
            int rs = decode(table, m, mcus);
            int r = rs >> 4;
            int s = rs & 15;
            if (s == 0) {
                if (r < 15) {
                    eobRun = (1 << r) - 1 + (r > 0 ? bits(r, m, mcus) : 0);
                    return;
                }
                k += 16;
            } else {
                k += r;
                skip(s, m, mcus);
                if (k <= 63) {
                    nz[block] |= 1L << k;
                }
                k++;
            }
        }
    }

    /** libjpeg's decode_mcu_AC_refine, keeping only which coefficients are non-zero. */
    private void acRefine(Huffman table, long[] nz, int block, int ss, int se, int m, int mcus) {
        int k = ss;
        long mask = nz[block];
        if (eobRun == 0) {
            for (; k <= se; k++) {
                int rs = decode(table, m, mcus);
                int r = rs >> 4;
                int s = rs & 15;
                if (s != 0) {
                    if (s != 1) {
                        throw corrupt("bad refinement code");
                    }
                    skip(1, m, mcus); // sign of the new coefficient
                } else if (r != 15) {
                    eobRun = 1 << r;
                    if (r > 0) {
                        eobRun += bits(r, m, mcus);
                    }
                    break;
                }
                do {
                    if ((mask & (1L << k)) != 0) {
                        skip(1, m, mcus); // correction bit of an already non-zero coefficient
                    } else if (--r < 0) {
                        break;
                    }
                    k++;
                } while (k <= se);
                if (s != 0 && k <= 63) {
                    mask |= 1L << k;
                }
            }
        }
        if (eobRun > 0) {
            for (; k <= se; k++) {
                if ((mask & (1L << k)) != 0) {
                    skip(1, m, mcus);
                }
            }
            eobRun--;
        }
        nz[block] = mask;
    }

    private int blocksWide(int c) {
        return ceilDiv(ceilDiv(width * compH[c], hMax), 8);
    }

    private int blocksHigh(int c) {
        return ceilDiv(ceilDiv(height * compV[c], vMax), 8);
    }

    /** Index of the m-th block of a non-interleaved scan in the component's (MCU-padded) block grid. */
    private int blockIndex(int c, int m) {
        int wide = blocksWide(c);
        return (m / wide) * (mcusPerLine * compH[c]) + (m % wide);
    }

    private void checkAllCoded() {
        if (compId == null || scans == 0) {
            throw truncated("no image data before the end-of-image marker");
        }
        for (int c = 0; c < compId.length; c++) {
            int last = progressive ? 63 : 0;
            for (int k = 0; k <= last; k++) {
                if (coefBits[c][k] != 0) {
                    throw truncated("the image ends before all of its scans (component " + compId[c]
                            + " is not fully coded)");
                }
            }
        }
    }

    // ---- entropy-coded data ----

    private void startEntropy() {
        bitBuf = 0;
        bitCount = 0;
        markerAt = -1;
        eobRun = 0;
    }

    /** After the last MCU: the rest of the byte is padding, then a marker must follow (extra bytes are tolerated). */
    private void endEntropy() {
        if (markerAt < 0) {
            while (pos + 1 < d.length && !((d[pos] & 0xff) == 0xff && (d[pos + 1] & 0xff) != 0
                    && ((d[pos + 1] & 0xff) < 0xd0 || (d[pos + 1] & 0xff) > 0xd7))) {
                pos++;
            }
            if (pos + 1 >= d.length) {
                throw truncated("no end-of-image marker");
            }
            markerAt = pos;
        }
        pos = markerAt;
    }

    private void expectRestart(int n, int m, int mcus) {
        bitBuf = 0;
        bitCount = 0;
        if (markerAt < 0) { // the padding bits of the interval's last byte were not read yet
            while (pos < d.length && (d[pos] & 0xff) != 0xff) {
                pos++;
            }
            while (pos + 1 < d.length && (d[pos + 1] & 0xff) == 0xff) {
                pos++;
            }
            markerAt = pos + 1 < d.length && (d[pos + 1] & 0xff) != 0 ? pos : -1;
        }
        int marker = markerAt >= 0 ? d[markerAt + 1] & 0xff : -1;
        if (marker != 0xd0 + (n & 7)) {
            throw truncated("the image data ends after " + m + " of " + mcus + " MCUs (restart marker missing)");
        }
        pos = markerAt + 2;
        markerAt = -1;
        eobRun = 0;
    }

    /** Tops up the bit buffer to at least 57 bits, or as far as the data goes before a marker. */
    private void fill() {
        while (bitCount <= 56 && markerAt < 0) {
            if (pos >= d.length) {
                return;
            }
            int b = d[pos] & 0xff;
            if (b == 0xff) {
                int next = pos + 1 < d.length ? d[pos + 1] & 0xff : -1;
                if (next == 0) {
                    pos += 2; // stuffed zero byte: data 0xFF
                } else if (next == 0xff) {
                    pos++; // fill byte before a marker
                    continue;
                } else {
                    markerAt = next < 0 ? -1 : pos;
                    if (next < 0) {
                        pos++;
                    }
                    return;
                }
            } else {
                pos++;
            }
            bitBuf = (bitBuf << 8) | b;
            bitCount += 8;
        }
    }

    private int bits(int n, int m, int mcus) {
        if (n == 0) {
            return 0;
        }
        if (bitCount < n) {
            fill();
            if (bitCount < n) {
                throw truncated("the image data ends after " + m + " of " + mcus + " MCUs");
            }
        }
        bitCount -= n;
        return (int) ((bitBuf >>> bitCount) & ((1L << n) - 1));
    }

    private void skip(int n, int m, int mcus) {
        if (n > 16) {
            throw corrupt("bad coefficient size");
        }
        bits(n, m, mcus);
    }

    /** A DC difference's size category, checked against what 16-bit coefficients allow. */
    private int receiveSize(Huffman t, int m, int mcus) {
        int s = decode(t, m, mcus);
        if (s > 16) {
            throw corrupt("bad DC code");
        }
        return s;
    }

    private int decode(Huffman t, int m, int mcus) {
        if (bitCount < Huffman.LOOKAHEAD) {
            fill();
        }
        if (bitCount >= Huffman.LOOKAHEAD) {
            int e = t.fast[(int) ((bitBuf >>> (bitCount - Huffman.LOOKAHEAD)) & ((1 << Huffman.LOOKAHEAD) - 1))];
            if (e != 0) {
                bitCount -= e >>> 8;
                return e & 0xff;
            }
        }
        // slow path: longer codes, or the last few bits of the data
        int code = 0;
        for (int l = 1; l <= 16; l++) {
            code = (code << 1) | bits(1, m, mcus);
            if (code <= t.maxCode[l]) {
                return t.symbols[t.valPtr[l] + code - t.minCode[l]];
            }
        }
        throw corrupt("bad Huffman code in the image data");
    }

    private KensaException truncated(String why) {
        return new KensaException("truncated " + what + ": " + why);
    }

    private KensaException corrupt(String why) {
        return new KensaException("cannot decode " + what + ": " + why);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** A canonical Huffman table (JPEG Annex C) with a lookahead table for codes up to LOOKAHEAD bits. */
    private static final class Huffman {
        static final int LOOKAHEAD = 9;
        final int[] symbols;
        final int[] minCode = new int[17];
        final int[] maxCode = new int[18];
        final int[] valPtr = new int[17];
        /** (length << 8) | symbol for a code of at most LOOKAHEAD bits starting the index, else 0. */
        final int[] fast = new int[1 << LOOKAHEAD];

        Huffman(int[] counts, int[] symbols) {
            this.symbols = symbols;
            int code = 0;
            int k = 0;
            for (int l = 1; l <= 16; l++) {
                valPtr[l] = k;
                minCode[l] = code;
                code += counts[l];
                k += counts[l];
                maxCode[l] = counts[l] > 0 ? code - 1 : -1;
                if (maxCode[l] >= (1 << l)) {
                    throw new KensaException("cannot decode JPEG: bad Huffman table (too many codes of length " + l + ")");
                }
                for (int c = minCode[l], i = valPtr[l]; c <= maxCode[l] && l <= LOOKAHEAD; c++, i++) {
                    int shift = LOOKAHEAD - l;
                    for (int j = 0; j < (1 << shift); j++) {
                        fast[(c << shift) | j] = (l << 8) | symbols[i];
                    }
                }
                code <<= 1;
            }
            maxCode[17] = Integer.MAX_VALUE;
        }
    }
}
