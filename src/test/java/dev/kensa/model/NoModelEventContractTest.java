package dev.kensa.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.testing.JsonShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The {@code model/event} a box sends when it comes up without a model: its fields and their order are part of the
 * MQTT contract (issue 14 item 3; the other events are pinned in ServeMqttIT, from a real daemon).
 */
class NoModelEventContractTest {
    @TempDir
    Path store;

    @Test
    void anEmptyStoreAnnouncesNoModelWithItsReason() throws Exception {
        ModelManager m = new ModelManager(ModelStore.open(store), new ModelManager.Settings(null, 1, 1, 1L << 20, 10,
                1L << 20, null));
        List<Object> events = new ArrayList<>();
        assertNull(m.start(null, false));
        m.events(events::add); // replays what happened before a sink was there
        assertEquals(1, events.size(), events.toString());
        byte[] json = new ObjectMapper().writeValueAsBytes(events.get(0));
        assertEquals("{ts,event,reason}", JsonShape.of(json));
        assertEquals("no-model", new ObjectMapper().readTree(json).get("event").asText());
    }
}
