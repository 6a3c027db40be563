package dev.kensa.http;

import io.smallrye.health.event.SmallRyeHealthStatusChangeEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * One log line when readiness changes ("not ready: model DOWN (reason: no model loaded)", then "ready"), instead of
 * SmallRye's full JSON line at every poll while it is down (its category is at WARN in the built-in
 * application.properties): a load balancer or the status page polling every second while the model loads must not
 * fill the journal with identical lines.
 */
@ApplicationScoped
public class ReadinessLog {
    private static final Logger LOG = Logger.getLogger(ReadinessLog.class);

    void onChange(@Observes @Readiness SmallRyeHealthStatusChangeEvent e) {
        if (!e.health().isDown()) {
            LOG.info("ready");
            return;
        }
        LOG.infof("not ready: %s", String.join("; ", down(e.health().getPayload())));
    }

    /** "model DOWN (reason: no model loaded)" for each check that is down. */
    static List<String> down(JsonObject payload) {
        List<String> out = new ArrayList<>();
        var checks = payload.getJsonArray("checks");
        if (checks == null) {
            return out;
        }
        for (JsonValue v : checks) {
            JsonObject c = v.asJsonObject();
            if (!"UP".equals(c.getString("status", ""))) {
                String data = "";
                JsonObject d = c.getJsonObject("data");
                if (d != null && !d.isEmpty()) {
                    List<String> kv = new ArrayList<>();
                    d.forEach((k, val) -> kv.add(k + ": " + (val instanceof jakarta.json.JsonString s ? s.getString() : val)));
                    data = " (" + String.join(", ", kv) + ")";
                }
                out.add(c.getString("name", "?") + " DOWN" + data);
            }
        }
        return out;
    }
}
