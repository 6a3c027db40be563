package dev.kensa.daemon;

import dev.kensa.KensaConfig;
import dev.kensa.calibration.CalibrationRecord;
import dev.kensa.drift.DriftMonitor;
import dev.kensa.model.ModelManager;
import dev.kensa.verdict.InspectionResult;
import dev.kensa.verdict.Verdict;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The daemon's {@link DriftMonitor}: fed the score of every inspected part (ERROR results have none), watching the
 * active model. Every load, swap or rollback makes a new active model, and the monitor starts over with that bundle's
 * calibration scores as the reference (its {@code since} is when the model was loaded). It reports in
 * {@code /api/v1/status}, the MQTT status and the {@code kensa_score_drift} gauge; it never touches a verdict.
 */
@ApplicationScoped
public class DriftWatch {
    @Inject
    KensaConfig config;
    @Inject
    ModelService models;
    @Inject
    DaemonAssembly daemon;
    @Inject
    MeterRegistry meters;

    private DriftMonitor monitor;
    /** The model the monitor watches (identity: every load is a new one), null before the first. */
    private ModelManager.Loaded watched;
    /** Why there is no reference for the watched model, in words; null when it has one. */
    private String noReference;

    @io.quarkus.runtime.Startup
    void registerGauge() {
        Gauge.builder("kensa.score.drift", this, DriftWatch::statistic)
                .description("one-sided rank-sum z of the latest scores against the model's calibration scores "
                        + "(warning from 4.27; NaN while insufficient-data)")
                .register(meters);
    }

    /** The score of one inspected part, by the model that scored it. */
    public void observe(ModelManager.Loaded model, InspectionResult result) {
        if (model == null || result.verdict() == Verdict.ERROR || result.score() == null) {
            return;
        }
        DriftMonitor m = follow(models.active());
        DriftMonitor.State before = m.state();
        // a part scored by the previous model while a swap went through is ignored (another key)
        m.add(key(model), result.score());
        if (m.state() != before) {
            daemon.statusChanged(); // the retained status carries the drift state
        }
    }

    /** The {@code drift} object of the status API and the MQTT status ({@link Status.Drift}). */
    public Status.Drift status() {
        DriftMonitor.Snapshot s;
        String why;
        synchronized (this) {
            s = follow(models.active()).snapshot();
            why = noReference;
        }
        return new Status.Drift(s.state().id(),
                s.statistic() == null ? null : Math.round(s.statistic() * 1000) / 1000.0,
                s.window(), config.drift().window(), s.since().toString(),
                s.medianRatio() == null ? null : Math.round(s.medianRatio() * 10000) / 10000.0,
                s.reason() == null ? null : why != null ? why : s.reason());
    }

    /** For the gauge: NaN while insufficient-data. */
    double statistic() {
        return follow(models.active()).statistic();
    }

    /** The monitor, started over when the active model is not the one it watches. */
    private synchronized DriftMonitor follow(ModelManager.Loaded active) {
        if (monitor == null) {
            monitor = new DriftMonitor(config.drift().window());
        }
        if (active != watched) {
            watched = active;
            if (active == null) {
                noReference = null;
                monitor.reset(null, null);
            } else {
                CalibrationRecord c = active.bundle().calibration();
                double[] reference = c == null ? null : c.driftReference();
                noReference = c == null ? "the model has no calibration record (bundle older than calibration.json): "
                        + "nothing to compare the scores with"
                        : reference == null ? "the model was fitted without calibration (in-sample scores): nothing "
                        + "to compare the scores with" : null;
                monitor.reset(key(active), reference, active.loadedAt());
            }
        }
        return monitor;
    }

    private static String key(ModelManager.Loaded m) {
        return m.bundle().sha256() + "@" + m.loadedAt();
    }
}
