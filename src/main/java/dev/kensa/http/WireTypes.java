package dev.kensa.http;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The records the daemon writes as JSON with Jackson, on HTTP ({@code /api/v1/status}, {@code /api/v1/model}) and on
 * MQTT (the retained status and its Last Will), registered for reflection in one place so a GraalVM native build
 * serialises them as the JVM does.
 */
@RegisterForReflection(targets = {
        dev.kensa.daemon.Status.class, dev.kensa.daemon.Status.Model.class, dev.kensa.daemon.Status.Queue.class,
        dev.kensa.daemon.Status.Counts.class, dev.kensa.daemon.Status.Journal.class,
        dev.kensa.daemon.Status.NgArchive.class, dev.kensa.daemon.Status.Mqtt.class,
        dev.kensa.daemon.Status.HotFolder.class, dev.kensa.daemon.Status.Drift.class,
        dev.kensa.daemon.StatusMessage.class, dev.kensa.mqtt.BareStatus.class,
        dev.kensa.quality.QualityGate.Description.class, dev.kensa.quality.QualityGate.Ranges.class,
        dev.kensa.source.SourceWorker.Status.class, dev.kensa.source.HotFolder.Status.class,
        dev.kensa.source.MqttInspectSource.Status.class,
        ModelResource.Models.class, ModelResource.Active.class, ModelResource.SelfTestReport.class,
        ModelResource.SelfTestCheck.class, ModelResource.Stored.class, ModelResource.Unreadable.class})
final class WireTypes {
    private WireTypes() {
    }
}
