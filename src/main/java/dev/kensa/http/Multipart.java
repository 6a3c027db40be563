package dev.kensa.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body (RFC 7578) already read into memory under the upload limit, split into its
 * parts. Parsed here rather than by the framework so an image upload has one byte limit and no temporary files,
 * whatever way it is sent.
 */
final class Multipart {
    private Multipart() {
    }

    /** One part: its form field name, file name (null for a plain field), content type (may be null) and bytes. */
    record Part(String name, String filename, String contentType, byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]+)\"|([^;\\s]+))");
    private static final Pattern NAME = Pattern.compile("(?i);\\s*name=(?:\"([^\"]*)\"|([^;\\s]+))");
    private static final Pattern FILENAME = Pattern.compile("(?i);\\s*filename=(?:\"([^\"]*)\"|([^;\\s]+))");
    private static final byte[] CRLF2 = {'\r', '\n', '\r', '\n'};

    /** @throws IllegalArgumentException with a one-line reason when the body is not well-formed multipart */
    static List<Part> parse(byte[] body, String contentType) {
        Matcher b = BOUNDARY.matcher(contentType == null ? "" : contentType);
        if (!b.find()) {
            throw new IllegalArgumentException("multipart/form-data without a boundary parameter");
        }
        byte[] delimiter = ("--" + (b.group(1) != null ? b.group(1) : b.group(2))).getBytes(StandardCharsets.ISO_8859_1);
        byte[] next = concat(new byte[]{'\r', '\n'}, delimiter);
        int at = body.length >= delimiter.length && startsAt(body, 0, delimiter) ? 0 : indexOf(body, next, 0);
        if (at < 0) {
            throw new IllegalArgumentException("multipart body without its boundary");
        }
        at += at == 0 && startsAt(body, 0, delimiter) ? delimiter.length : next.length;
        List<Part> parts = new ArrayList<>();
        while (true) {
            if (at + 2 <= body.length && body[at] == '-' && body[at + 1] == '-') {
                return parts; // closing delimiter
            }
            int headersStart = indexOf(body, new byte[]{'\r', '\n'}, at);
            int headersEnd = headersStart < 0 ? -1 : indexOf(body, CRLF2, headersStart);
            if (headersEnd < 0) {
                throw new IllegalArgumentException("multipart part without its headers (cut short?)");
            }
            String headers = new String(body, headersStart + 2, Math.max(0, headersEnd - headersStart - 2),
                    StandardCharsets.UTF_8);
            int dataStart = headersEnd + 4;
            int end = indexOf(body, next, dataStart);
            if (end < 0) {
                throw new IllegalArgumentException("multipart body without its closing boundary (cut short?)");
            }
            parts.add(part(headers, Arrays.copyOfRange(body, dataStart, end)));
            at = end + next.length;
        }
    }

    private static Part part(String headers, byte[] data) {
        String disposition = null;
        String type = null;
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            if (name.equals("content-disposition")) {
                disposition = value;
            } else if (name.equals("content-type")) {
                type = value;
            }
        }
        return new Part(param(NAME, disposition), param(FILENAME, disposition), type, data);
    }

    private static String param(Pattern p, String disposition) {
        if (disposition == null) {
            return null;
        }
        Matcher m = p.matcher(disposition);
        return m.find() ? (m.group(1) != null ? m.group(1) : m.group(2)) : null;
    }

    private static boolean startsAt(byte[] a, int at, byte[] prefix) {
        if (at + prefix.length > a.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (a[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] a, byte[] what, int from) {
        byte first = what[0];
        for (int i = Math.max(0, from), last = a.length - what.length; i <= last; i++) {
            if (a[i] == first && startsAt(a, i, what)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
