package dev.kensa.util;

import io.quarkus.qute.Engine;
import io.quarkus.qute.HtmlEscaper;
import io.quarkus.qute.RawString;
import io.quarkus.qute.TemplateLocator;
import io.quarkus.qute.Variant;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The reports' Qute templates ({@code src/main/resources/templates/}), rendered by Qute's standalone engine: the eval
 * report and the calibration rendering run in the CLI and in unit tests, outside the Quarkus container.
 *
 * <p>Templates see maps, lists and strings only (the engine's default resolvers), never Java objects through
 * reflection, so nothing stands in the way of a native image. Numbers are formatted by the caller. Output into
 * {@code .html} and {@code .svg} templates is HTML-escaped ({@code & < > " '}); a {@link RawString} (markup the
 * caller made with a template itself) is inserted as it is. Plain-text templates ({@code .txt}) are not escaped.
 * Rendering is strict: a name a template uses that its data lacks is an error, not an empty string.
 */
public final class Templates {
    private static final String SVG = "image/svg+xml";
    private static final String ROOT = "templates/";

    private static final Engine ENGINE = Engine.builder()
            .addDefaults()
            .addResultMapper(new HtmlEscaper(List.of(Variant.TEXT_HTML, SVG)))
            .addLocator(Templates::locate)
            .strictRendering(true)
            .build();

    private Templates() {
    }

    /**
     * Renders {@code templates/<name>} with {@code data}.
     *
     * @throws IllegalStateException when the template is missing (a packaging error)
     */
    public static String render(String name, Map<String, ?> data) {
        io.quarkus.qute.Template t = ENGINE.getTemplate(name);
        if (t == null) {
            throw new IllegalStateException("template " + ROOT + name + " is not on the classpath");
        }
        return t.data(data).render();
    }

    /**
     * Template data from name-value pairs, in order: {@code data("title", t, "rows", rows)}. A null value becomes the
     * empty string, which a template tests with {@code {#if name}} (Qute's {@code Map.of} cannot hold a null).
     */
    public static Map<String, Object> data(Object... nameValue) {
        if (nameValue.length % 2 != 0) {
            throw new IllegalArgumentException("names and values come in pairs, got " + nameValue.length + " items");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            m.put((String) nameValue[i], nameValue[i + 1] == null ? "" : nameValue[i + 1]);
        }
        return m;
    }

    /** Markup made by another template, inserted unescaped. */
    public static RawString markup(String html) {
        return new RawString(html);
    }

    private static Optional<TemplateLocator.TemplateLocation> locate(String name) {
        ClassLoader loader = Templates.class.getClassLoader();
        if (loader.getResource(ROOT + name) == null) {
            return Optional.empty();
        }
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        String type = switch (ext) {
            case "html" -> Variant.TEXT_HTML;
            case "svg" -> SVG;
            default -> Variant.TEXT_PLAIN;
        };
        Variant variant = new Variant(Locale.ROOT, StandardCharsets.UTF_8, type);
        return Optional.of(new TemplateLocator.TemplateLocation() {
            @Override
            public Reader read() {
                InputStream in = loader.getResourceAsStream(ROOT + name);
                return new InputStreamReader(in, StandardCharsets.UTF_8);
            }

            @Override
            public Optional<Variant> getVariant() {
                return Optional.of(variant);
            }
        });
    }
}
