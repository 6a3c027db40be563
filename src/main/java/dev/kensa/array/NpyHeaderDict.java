package dev.kensa.array;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict parser for the header of a {@code .npy} file: the Python dict literal NumPy writes, e.g.
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }} followed by padding spaces and a newline.
 * It accepts exactly what NumPy's own reader accepts for plain arrays: the three keys in any order, quoted
 * strings, {@code True}/{@code False}, tuples of non-negative integers ({@code ()}, {@code (3,)}, {@code (3, 4)}),
 * an optional trailing comma, and the {@code 3L} integers of Python 2 era files. Anything else (a structured
 * dtype's field list, another key, an expression) is refused; NumPy uses {@code ast.literal_eval}, Kensa
 * evaluates nothing.
 */
final class NpyHeaderDict {
    static final List<String> KEYS = List.of("descr", "fortran_order", "shape");

    /** What the header says, not yet checked against Kensa's dtypes or the file size. */
    record Parsed(String descr, boolean fortranOrder, long[] shape) {
    }

    /** A header that is not a dict literal of the expected form; the message has no file name. */
    static final class Problem extends Exception {
        Problem(String message) {
            super(message, null, false, false);
        }
    }

    /** A Python tuple of integers, kept apart from a list so that {@code [3, 4]} is refused as a shape. */
    private record Tuple(long[] items) {
    }

    /** A list value, only ever legitimate as a structured dtype's field list. */
    private record PyList() {
    }

    private final String text;
    private int pos;

    private NpyHeaderDict(String text) {
        this.text = text;
    }

    static Parsed parse(String text) throws Problem {
        NpyHeaderDict p = new NpyHeaderDict(text);
        Map<String, Object> dict = p.dict();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.problem("unexpected text after the dict");
        }
        for (String key : dict.keySet()) {
            if (!KEYS.contains(key)) {
                throw new Problem("header has the unexpected key '" + key + "' (a .npy header holds 'descr', 'fortran_order' and 'shape')");
            }
        }
        for (String key : KEYS) {
            if (!dict.containsKey(key)) {
                throw new Problem("header lacks '" + key + "'");
            }
        }
        Object descr = dict.get("descr");
        if (descr instanceof PyList) {
            throw new Problem("structured dtype (a list of named fields) is not supported; save a plain numeric array");
        }
        if (!(descr instanceof String s)) {
            throw new Problem("'descr' is " + typeName(descr) + ", expected a string such as '<f4'");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new Problem("'fortran_order' is " + typeName(dict.get("fortran_order")) + ", expected True or False");
        }
        if (!(dict.get("shape") instanceof Tuple shape)) {
            throw new Problem("'shape' is " + typeName(dict.get("shape")) + ", expected a tuple of integers");
        }
        return new Parsed(s, fortran, shape.items());
    }

    private Map<String, Object> dict() throws Problem {
        skipSpace();
        expect('{');
        Map<String, Object> dict = new LinkedHashMap<>();
        skipSpace();
        while (peek() != '}') {
            if (peek() != '\'' && peek() != '"') {
                throw problem("expected a quoted key or '}'");
            }
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            Object value = value();
            if (dict.put(key, value) != null) {
                throw new Problem("header repeats the key '" + key + "'");
            }
            skipSpace();
            if (peek() == ',') {
                pos++;
                skipSpace();
            } else if (peek() != '}') {
                throw problem("expected ',' or '}'");
            }
        }
        pos++;
        return dict;
    }

    private Object value() throws Problem {
        char c = peek();
        if (c == '\'' || c == '"') {
            return string();
        }
        if (c == '(') {
            return tuple();
        }
        if (c == '[') {
            // a structured dtype's descr is a list of (name, type) tuples; its contents are not needed to refuse it
            skipBracketed();
            return new PyList();
        }
        if (text.startsWith("True", pos) && !identifierAt(pos + 4)) {
            pos += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("False", pos) && !identifierAt(pos + 5)) {
            pos += 5;
            return Boolean.FALSE;
        }
        if (c >= '0' && c <= '9') {
            return integer();
        }
        throw problem("expected a string, True, False or a tuple");
    }

    private Tuple tuple() throws Problem {
        expect('(');
        List<Long> items = new ArrayList<>();
        skipSpace();
        boolean sawComma = false;
        while (peek() != ')') {
            char c = peek();
            if (c == '-') {
                throw problem("negative dimension");
            }
            if (c < '0' || c > '9') {
                throw problem("expected an integer or ')'");
            }
            items.add(integer());
            skipSpace();
            sawComma = false;
            if (peek() == ',') {
                pos++;
                sawComma = true;
                skipSpace();
            } else if (peek() != ')') {
                throw problem("expected ',' or ')'");
            }
        }
        if (items.size() == 1 && !sawComma) {
            // (3) is the integer 3 in Python, not a tuple; NumPy always writes (3,)
            throw problem("(n) without a comma is not a tuple");
        }
        pos++;
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = items.get(i);
        }
        return new Tuple(out);
    }

    private long integer() throws Problem {
        int start = pos;
        long v = 0;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            int digit = text.charAt(pos) - '0';
            if (v > (Long.MAX_VALUE - digit) / 10) {
                throw new Problem("dimension " + abbreviate(digitsFrom(start)) + " overflows a 64-bit integer");
            }
            v = v * 10 + digit;
            pos++;
        }
        if (pos - start > 1 && text.charAt(start) == '0') {
            throw problemAt(start, "integer with a leading zero");
        }
        if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
            pos++; // Python 2 long literal, as NumPy's own reader accepts
        }
        if (identifierAt(pos) || (pos < text.length() && text.charAt(pos) == '.')) {
            throw problemAt(start, "expected an integer");
        }
        return v;
    }

    private String string() throws Problem {
        char quote = text.charAt(pos);
        int start = ++pos;
        while (pos < text.length() && text.charAt(pos) != quote) {
            char c = text.charAt(pos);
            if (c == '\\' || c == '\n') {
                // NumPy's keys and simple dtypes never need escapes; an escape means something else wrote this
                throw problem("unexpected " + (c == '\\' ? "escape" : "line break") + " in a string");
            }
            pos++;
        }
        if (pos >= text.length()) {
            throw problemAt(start - 1, "unterminated string");
        }
        return text.substring(start, pos++);
    }

    private void skipBracketed() throws Problem {
        int start = pos;
        int depth = 0;
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '[' || c == '(') {
                depth++;
            } else if (c == ']' || c == ')') {
                if (--depth == 0) {
                    return;
                }
            }
        }
        throw problemAt(start, "unterminated list");
    }

    private void expect(char c) throws Problem {
        if (peek() != c) {
            throw problem("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() throws Problem {
        if (pos >= text.length()) {
            throw problem("header ends early");
        }
        return text.charAt(pos);
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private boolean identifierAt(int i) {
        return i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_');
    }

    private String digitsFrom(int start) {
        int end = start;
        while (end < text.length() && Character.isDigit(text.charAt(end))) {
            end++;
        }
        return text.substring(start, end);
    }

    private Problem problem(String what) {
        return problemAt(pos, what);
    }

    private Problem problemAt(int at, String what) {
        return new Problem("corrupt header: " + what + " at character " + at + " of " + quoted(text));
    }

    private static String typeName(Object v) {
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Long) {
            return "an integer";
        }
        if (v instanceof Tuple) {
            return "a tuple";
        }
        if (v instanceof PyList) {
            return "a list";
        }
        return "a string";
    }

    /** The header for a one-line message: trailing padding dropped, control characters escaped, long text cut. */
    static String quoted(String header) {
        String s = header.stripTrailing();
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(s.length() > 120 ? "..\"" : "\"").toString();
    }

    private static String abbreviate(String digits) {
        return digits.length() <= 30 ? digits : digits.substring(0, 12) + ".. (" + digits.length() + " digits)";
    }
}
