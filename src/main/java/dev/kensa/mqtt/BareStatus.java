package dev.kensa.mqtt;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The retained {@code status} message with nothing but its state (../shared/DESIGN.md §6): the Last Will
 * ({@code offline}) of the daemon's {@link MqttConnection}, and what the publisher sends when the full status fails.
 */
@JsonPropertyOrder({"state", "deviceId"})
public record BareStatus(String state, String deviceId) {
}
