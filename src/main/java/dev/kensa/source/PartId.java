package dev.kensa.source;

/**
 * A part's identity as the line gives it with an image (a serial number, a carrier or tray id): carried into the
 * result JSON ({@code partId}), so the journal, the MQTT result, the NG archive, the CSV and the status page name
 * the part. Any printable text up to {@value #MAX_LENGTH} characters.
 */
public final class PartId {
    private PartId() {
    }

    public static final int MAX_LENGTH = 128;

    /**
     * The id without surrounding blanks; null when {@code raw} is null or blank.
     *
     * @param from where it came from, for the message (e.g. "X-Part-Id")
     * @throws IllegalArgumentException with a one-line reason when it is too long or holds control characters
     */
    public static String check(String raw, String from) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        String id = raw.strip();
        if (id.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("part id from " + from + " is " + id.length() + " characters, over "
                    + MAX_LENGTH);
        }
        if (id.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("part id from " + from + " holds control characters");
        }
        return id;
    }
}
