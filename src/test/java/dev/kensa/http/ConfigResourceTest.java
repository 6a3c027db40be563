package dev.kensa.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What GET /api/v1/config may show: no secret, and sources in a technician's words. */
class ConfigResourceTest {

    @Test
    void secretsAndUrlCredentialsAreNeverShown() {
        assertEquals("(set)", ConfigResource.redact("kensa.mqtt.password", "hunter2"));
        assertEquals("(set)", ConfigResource.redact("quarkus.http.ssl.certificate.key-store-password", "changeit"));
        assertEquals("(set)", ConfigResource.redact("kensa.some.client-secret", "x"));
        assertEquals("ssl://(set)@broker:8883", ConfigResource.redact("kensa.mqtt.url", "ssl://kensa:pw@broker:8883"));
        assertEquals("tcp://broker:1883", ConfigResource.redact("kensa.mqtt.url", "tcp://broker:1883"));
        assertEquals("/etc/kensa/api.token", ConfigResource.redact("kensa.api.token-file", "/etc/kensa/api.token"));
        assertEquals("kensa", ConfigResource.redact("kensa.mqtt.username", "kensa"));
    }

    @Test
    void sourcesAreNamedInWords() {
        assertEquals("system properties (-D)", ConfigResource.describeSource("SysPropConfigSource"));
        assertEquals("environment variables", ConfigResource.describeSource("EnvConfigSource"));
        assertEquals("file /etc/kensa/config/application.properties", ConfigResource.describeSource(
                "PropertiesConfigSource[source=file:/etc/kensa/config/application.properties]"));
        assertEquals("built-in defaults", ConfigResource.describeSource(
                "PropertiesConfigSource[source=jar:file:///opt/kensa/app/kensa.jar!/application.properties]"));
        assertEquals("built-in defaults", ConfigResource.describeSource("Runtime Values"));
        assertEquals("built-in defaults", ConfigResource.describeSource("DefaultValuesConfigSource"));
        assertEquals("SomethingNew", ConfigResource.describeSource("SomethingNew"));
    }
}
