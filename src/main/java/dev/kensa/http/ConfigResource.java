package dev.kensa.http;

import dev.kensa.KensaConfig;
import dev.kensa.daemon.DaemonAssembly;
import dev.kensa.daemon.ModelService;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.SmallRyeConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.config.ConfigProvider;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/config}: what is in force on this box and where each setting came from, for a technician
 * checking a deployment: the configuration sources that set anything, the figures that matter at the line (threads,
 * batch size, backend, queue capacity, API token on or off, MQTT target) and every {@code kensa.*} and
 * {@code quarkus.http.*} setting with its source.
 *
 * <p>Open like the other read endpoints (token only with {@code kensa.api.read-requires-token}), because no secret
 * is ever in the answer: values of keys that name a password, secret or key store are replaced by "(set)", and
 * credentials written into a URL are cut out. The token file's path is shown, never the token.
 */
@Path("/api/v1/config")
public class ConfigResource {
    static final String HIDDEN = "(set)";
    static final String BUILT_IN = "built-in defaults";
    static final String RUNNING = "the running server";
    private static final Pattern SECRET_KEY = Pattern.compile(".*(password|secret|passphrase|credential).*");
    private static final Pattern URL_USERINFO = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]+@");

    @Inject
    KensaConfig config;
    @Inject
    ModelService models;
    @Inject
    DaemonAssembly daemon;
    @Inject
    ApiToken token;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> config() {
        SmallRyeConfig all = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class);
        Map<String, Map<String, Object>> settings = new TreeMap<>();
        Map<String, Integer> keysBySource = new LinkedHashMap<>();
        Map<String, Integer> ordinals = new LinkedHashMap<>();
        for (String name : all.getPropertyNames()) {
            boolean ours = name.startsWith("kensa.");
            if (!ours && !name.startsWith("quarkus.http.")) {
                continue;
            }
            ConfigValue v = all.getConfigValue(name);
            if (v == null || v.getValue() == null) {
                continue;
            }
            String source = describeSource(v.getSourceName());
            if (!ours && source.equals(BUILT_IN) && !name.equals("quarkus.http.port") && !name.equals("quarkus.http.host")) {
                continue; // the framework's own defaults: a hundred lines nobody set
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("value", redact(name, v.getValue()));
            s.put("source", source);
            settings.put(name, s);
            if (!source.equals(RUNNING)) { // not configuration: what the server did with it (e.g. port 0)
                keysBySource.merge(source, 1, Integer::sum);
                ordinals.putIfAbsent(source, v.getSourceOrdinal());
            }
        }
        List<Map<String, Object>> sources = new ArrayList<>();
        keysBySource.entrySet().stream()
                .sorted((a, b) -> Integer.compare(ordinals.get(b.getKey()), ordinals.get(a.getKey())))
                .forEach(e -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", e.getKey());
                    m.put("ordinal", ordinals.get(e.getKey()));
                    m.put("settings", e.getValue());
                    sources.add(m);
                });

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sources", sources); // highest precedence first
        out.put("threads", config.threads().orElse(Runtime.getRuntime().availableProcessors()));
        out.put("threadsFrom", config.threads().isPresent() ? "kensa.threads" : "every core, kensa.threads unset");
        out.put("batchSize", config.batchSize());
        var active = models.active();
        out.put("backend", config.backend().toString());
        out.put("backendInUse", active == null ? null : active.backend());
        out.put("gpu", dev.kensa.gpu.GpuProbe.summary());
        out.put("queueCapacity", config.queueCapacity());
        Map<String, Object> api = new LinkedHashMap<>();
        api.put("token", token.configured() ? "on" : "off");
        api.put("tokenFile", config.api().tokenFile().map(Object::toString).orElse(null));
        api.put("readRequiresToken", config.api().readRequiresToken());
        api.put("inspectRequiresToken", config.api().inspectRequiresToken());
        out.put("api", api);
        out.put("mqtt", mqttTarget());
        out.put("deviceId", config.deviceId());
        out.put("hotFolder", config.hotFolder().dir().map(Object::toString).orElse(null));
        out.put("journal", config.journal().dir().toAbsolutePath().toString());
        out.put("modelStore", config.model().storeDir().toAbsolutePath().toString());
        out.put("settings", settings);
        return out;
    }

    /** Where results go: the connected publisher's broker, the embedded one, or nowhere. */
    private Map<String, Object> mqttTarget() {
        Map<String, Object> m = new LinkedHashMap<>();
        var p = daemon.mqtt();
        boolean embedded = config.mqtt().url().isEmpty() && config.mqtt().embedded();
        m.put("target", p != null ? redact("url", p.serverUri()) : config.mqtt().url().map(u -> redact("url", u)).orElse(null));
        m.put("embeddedBroker", embedded);
        m.put("topicPrefix", dev.kensa.mqtt.Topics.defaultPrefix(config.deviceId()));
        m.put("username", config.mqtt().username().orElse(null));
        m.put("password", config.mqtt().password().isPresent() ? HIDDEN : null);
        m.put("inspect", config.mqtt().inspect());
        return m;
    }

    /** A setting's value as it may be shown: secrets replaced, URL credentials cut out. */
    static String redact(String key, String value) {
        if (SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches()) {
            return HIDDEN;
        }
        return URL_USERINFO.matcher(value).replaceFirst("$1" + HIDDEN + "@");
    }

    /** A configuration source in a technician's words; unknown ones by their own name. */
    static String describeSource(String name) {
        if (name == null) {
            return "unknown";
        }
        if (name.startsWith("SysPropConfigSource")) {
            return "system properties (-D)";
        }
        if (name.startsWith("EnvConfigSource")) {
            return "environment variables";
        }
        int file = name.indexOf("source=file:");
        if (file >= 0) {
            String path = name.substring(file + "source=file:".length());
            return "file " + (path.endsWith("]") ? path.substring(0, path.length() - 1) : path);
        }
        if (name.contains("source=jar:") || name.contains("DefaultValuesConfigSource") || name.contains("Defaults")
                || name.contains("BuildTime") || name.equals("Runtime Values")) {
            return BUILT_IN;
        }
        if (name.startsWith("ValueRegistryConfigSource")) {
            return RUNNING;
        }
        return name;
    }
}
