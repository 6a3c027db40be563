package dev.kensa.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sources' typed status on the wire ({@code sources} of {@code /api/v1/status} and the MQTT status): the worker's
 * fields first, then the source's own, with the names and order the maps they replace had.
 */
class SourceStatusJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eachSourceSaysItsWorkersStateThenItsOwnCounts() throws Exception {
        SourceWorker.Status running = new SourceWorker.Status("running", "hot folder /in: running", 0, null, null);
        SourceWorker.Status down = new SourceWorker.Status("down", "MQTT inspect source: DOWN since x (ThreadDeath)", 2,
                "ThreadDeath", "2026-01-01T00:00:00Z");
        Map<String, Source.Status> sources = new LinkedHashMap<>();
        sources.put(HotFolder.ID, new HotFolder.Status(running, 7));
        sources.put(MqttInspectSource.ID, new MqttInspectSource.Status(down, true, 3));
        assertEquals("{\"hotFolder\":{\"state\":\"running\",\"words\":\"hot folder /in: running\",\"restarts\":0,"
                + "\"lastFailure\":null,\"lastFailureAt\":null,\"processed\":7},"
                + "\"mqttInspect\":{\"state\":\"down\",\"words\":\"MQTT inspect source: DOWN since x (ThreadDeath)\","
                + "\"restarts\":2,\"lastFailure\":\"ThreadDeath\",\"lastFailureAt\":\"2026-01-01T00:00:00Z\","
                + "\"subscribed\":true,\"handled\":3}}", JSON.writeValueAsString(sources));
        assertTrue(sources.get(HotFolder.ID).up());
        assertFalse(sources.get(MqttInspectSource.ID).up());
    }
}
