package dev.kensa.bundle;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundle's JSON files (manifest, pipeline): one mapper, bounded reads, one-line parse errors with a position. */
public final class BundleJson {
    /** Records bind by their component names; unknown fields are ignored for forward compatibility. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A manifest is a few kB; anything far larger is not one and is not read into memory. */
    static final long MAX_JSON_BYTES = 16L << 20;

    private BundleJson() {
    }

    static byte[] readBytes(Path file, String where, String name) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new BundleException(where + ": " + name + " missing");
            }
            long size = Files.size(file);
            if (size > MAX_JSON_BYTES) {
                throw new BundleException(where + ": " + name + " is " + size + " bytes, larger than " + MAX_JSON_BYTES);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read " + name + " (" + e.getMessage() + ")", e);
        }
    }

    static <T> T parse(byte[] bytes, Class<T> type, String where, String name) {
        T value;
        try {
            value = MAPPER.readValue(bytes, type);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String position = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String reason = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            throw new BundleException(where + ": " + name + " is not valid (" + firstLine(reason) + position + ")", e);
        } catch (IOException e) {
            throw new BundleException(where + ": cannot read " + name + " (" + e.getMessage() + ")", e);
        }
        if (value == null) {
            throw new BundleException(where + ": " + name + " is empty or null");
        }
        return value;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
