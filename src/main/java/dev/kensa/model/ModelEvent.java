package dev.kensa.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One model lifecycle event: a line of the model store's audit log and the MQTT {@code model/event} message
 * (../shared/DESIGN.md §6). One record per kind, each with the fields (and order) the wire has always had; absent optional
 * fields are left out, not sent as null.
 */
public sealed interface ModelEvent {
    /** When, ISO-8601. */
    String ts();

    /** {@code load}, {@code swap}, {@code rollback}, {@code no-model}, {@code refusal}, {@code threshold-...}. */
    String event();

    /** A bundle as events and the status name it. */
    @JsonPropertyOrder({"id", "name", "sha256", "method"})
    record ModelRef(String id, String name, String sha256, String method) {
    }

    /** A model became active: {@code load} at start, {@code swap}, {@code rollback}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"ts", "event", "model", "previous", "by", "threshold", "thresholdSource", "loadSeconds",
            "backend", "note"})
    record Activated(String ts, String event, ModelRef model, ModelRef previous, String by, double threshold,
                     String thresholdSource, double loadSeconds, String backend, String note) implements ModelEvent {
    }

    /** The box came up without a model; {@code reason} in words. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"ts", "event", "reason"})
    record NoModel(String ts, String event, String reason) implements ModelEvent {
        public NoModel(String ts, String reason) {
            this(ts, "no-model", reason);
        }
    }

    /** A swap, rollback or threshold change refused; {@code active} is the model that stays. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"ts", "event", "request", "reason", "by", "active"})
    record Refusal(String ts, String event, String request, String reason, String by, ModelRef active)
            implements ModelEvent {
        public Refusal(String ts, String request, String reason, String by, ModelRef active) {
            this(ts, "refusal", request, reason, by, active);
        }
    }

    /** {@code threshold-override} or {@code threshold-cleared}: the image threshold in force changed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"ts", "event", "by", "model", "bundleThreshold", "from", "to", "reason"})
    record ThresholdChange(String ts, String event, String by, ModelRef model, double bundleThreshold, double from,
                           double to, String reason) implements ModelEvent {
    }
}
