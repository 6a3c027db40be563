package dev.kensa.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kensa.testing.CameraFaults;
import dev.kensa.testing.Mosquitto;
import dev.kensa.testing.MqttSubscriber;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image-quality gates in the packaged daemon, on a bundle without learned limits (the floors apply) and with the
 * size check switched off by configuration: a black frame is an ERROR naming its check, answered, journalled,
 * published and counted; a thumbnail-sized bottle, which only the size check would refuse, is scored.
 */
class QualityGatesIT {
    static final String DEVICE = "gates-box";
    static final String PREFIX = "kensa/" + DEVICE + "/";
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;

    static double metric(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + series + " in /q/metrics");
    }

    @Test
    void aBlackFrameIsAnErrorNamingItsCheckEverywhereAndASwitchedOffCheckLetsItsImageThrough() throws Exception {
        Path bundle = TinyBundle.fit(tmp);
        CameraFaults.dropCalibration(bundle); // an older bundle, should the fit have learned limits
        byte[] black;
        byte[] small;
        try (Mat bottle = CameraFaults.decode(dev.kensa.TestData.bottle().resolve("test/good/000.png"))) {
            black = CameraFaults.png(CameraFaults.solid(bottle, 0));
            small = CameraFaults.png(CameraFaults.resized(bottle, 120, 120)); // under the 128 px floor
        }
        try (Mosquitto broker = Mosquitto.launch();
             MqttSubscriber sub = MqttSubscriber.connect(broker, "line-plc", false, PREFIX + "result", PREFIX, 30_000);
             Daemon d = Daemon.start(tmp.resolve("run"), bundle, tmp.resolve("journal"),
                     "-Dkensa.mqtt.url=" + broker.uri(), "-Dkensa.device-id=" + DEVICE, "-Dkensa.quality.disabled=size")) {
            JsonNode gates = JSON.readTree(d.get("/api/v1/model").body()).get("active").get("imageQuality");
            assertEquals("floors", gates.get("limits").asText(), "a bundle without calibration.json: " + gates);
            assertEquals("[\"size\"]", gates.get("disabled").toString());

            HttpResponse<String> r = d.inspect(black);
            assertEquals(422, r.statusCode(), r.body());
            JsonNode result = JSON.readTree(r.body());
            assertEquals("ERROR", result.get("verdict").asText());
            assertEquals("image-quality: brightness: 0 outside [5, 250]", result.get("error").asText());
            String id = result.get("id").asText();
            assertEquals(r.body(), new String(sub.next("result").getPayload(), StandardCharsets.UTF_8),
                    "published as answered");
            String journalled = d.get("/api/v1/results?verdict=ERROR").body();
            assertTrue(journalled.contains(id) && journalled.contains("image-quality: brightness"), journalled);

            HttpResponse<String> s = d.inspect(small);
            JsonNode scored = JSON.readTree(s.body());
            assertNotEquals("ERROR", scored.get("verdict").asText(), "size is switched off: " + s.body());
            assertTrue(scored.get("score").isNumber(), s.body());

            String metrics = d.get("/q/metrics").body();
            assertEquals(1.0, metric(metrics, "kensa_image_quality_failures_total{check=\"brightness\"}"));
            for (String check : List.of("size", "aspect", "contrast", "focus")) {
                assertEquals(0.0, metric(metrics, "kensa_image_quality_failures_total{check=\"" + check + "\"}"), check);
            }
            assertEquals(1.0, metric(metrics, "kensa_inspections_total{verdict=\"ERROR\"}"));
        }
    }
}
