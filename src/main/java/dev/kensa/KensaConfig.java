package dev.kensa;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.OptionalInt;

/**
 * The box's configuration ({@code kensa.*}), defaults in one place. Read from {@code config/application.properties}
 * in the working directory, environment variables ({@code KENSA_THREADS}) and system properties. CLI flags win
 * over these for one command.
 */
@ConfigMapping(prefix = "kensa")
public interface KensaConfig {

    /**
     * Where the box keeps what it writes: the journal, the model store, the NG archive, the embedded broker's data
     * and the engine cache default to folders in here. Relative to the working directory; the systemd unit sets
     * {@code /var/lib/kensa} (its StateDirectory), so the configuration directory can stay read-only.
     */
    @WithDefault("data")
    java.nio.file.Path stateDir();

    /** CPU threads for the backbone and the scorer; default all cores. */
    OptionalInt threads();

    /** Images per backbone batch. */
    @WithDefault("8")
    int batchSize();

    /**
     * Backend: {@code auto} (TensorRT + CUDA when a GPU and the libraries load, else CPU, saying why in the log),
     * {@code tensorrt} (the GPU or a clear failure) or {@code cpu}.
     */
    @WithDefault("auto")
    dev.kensa.gpu.Backends.Mode backend();

    /**
     * Where serialized TensorRT engines are cached. An engine takes minutes to build and is valid only for one
     * backbone, TensorRT version, GPU model, precision and batch range, all of which name its file; a mismatch
     * rebuilds it. Safe to delete at any time.
     */
    @WithDefault("${kensa.state-dir}/engine-cache")
    java.nio.file.Path cacheDir();

    /** The box's name in MQTT topics ({@code kensa/<deviceId>/…}) and status. */
    @WithDefault("kensa-1")
    String deviceId();

    Model model();

    HotFolderConfig hotFolder();

    Mqtt mqtt();

    interface Mqtt {
        /** Broker to publish to, e.g. tcp://broker:1883 or ssl://broker:8883; unset = no MQTT. */
        java.util.Optional<String> url();

        java.util.Optional<String> username();

        java.util.Optional<String> password();

        /** PEM file of the CA certificates an ssl:// broker's certificate must chain to (e.g. the plant's own CA);
         * unset: the JVM's trust store. */
        java.util.Optional<java.nio.file.Path> caFile();

        /** QoS of heatmap messages: 0 (may be dropped) or 1. */
        @WithDefault("1")
        int heatmapQos();

        /** Accept images on {@code <prefix>inspect} (the MQTT image source). */
        @WithDefault("true")
        boolean inspect();

        /** Without a url: start the embedded broker on loopback (false: no MQTT at all). */
        @WithDefault("true")
        boolean embedded();

        /** Loopback port of the embedded broker. */
        @WithDefault("1883")
        int embeddedPort();

        /** Data folder of the embedded broker (sessions, retained messages). */
        @WithDefault("${kensa.state-dir}/broker")
        java.nio.file.Path embeddedDir();
    }

    interface HotFolderConfig {
        /** Folder whose new image files are inspected; unset = no hot folder. */
        java.util.Optional<java.nio.file.Path> dir();

        /** A file is read once its size and time have not changed for this long (partial-write guard). */
        @WithDefault("1000")
        long settleMillis();

        @WithDefault("250")
        long pollMillis();

        /**
         * Regular expression over a file's name whose first group is the part's id (result {@code partId}); a name
         * it does not match has none. Default: the name without its last extension ({@code SN-0042.png} gives
         * {@code SN-0042}).
         */
        @WithDefault("(.+?)(?:[.][^.]*)?")
        String partIdPattern();
    }

    ImageConfig image();

    /** Limits on decoding, for every source (HTTP, hot folder, MQTT) and every CLI command. */
    interface ImageConfig {
        /** Largest image (width x height) decoded; larger ones are refused from their header, before decoding. */
        @WithDefault("40000000")
        long maxPixels();

        /**
         * Image memory held at once across all sources: the encoded bytes of every image read and not yet answered
         * plus 3 bytes per pixel of what it decodes to. Over it, HTTP answers 503 with Retry-After and the hot
         * folder and MQTT wait.
         */
        @WithDefault("536870912")
        long decodeBudgetBytes();
    }

    Quality quality();

    /** The image-quality gates before scoring (README: Image quality gates). */
    interface Quality {
        /**
         * Checks switched off, comma-separated: any of {@code size}, {@code aspect}, {@code brightness},
         * {@code contrast}, {@code focus}. Default: none (every check on). An unknown name stops the start.
         */
        java.util.Optional<java.util.List<String>> disabled();
    }

    Journal journal();

    interface Model {
        /** The bundle {@code kensa serve} loads at start (directory or .zip). */
        java.util.Optional<java.nio.file.Path> dir();

        /** Ed25519 public key (PEM); when set, unsigned or badly signed bundles are refused. */
        java.util.Optional<java.nio.file.Path> publicKey();

        /**
         * The box's own copy of its models: the active one, the previous one (for rollback), threshold overrides
         * and the audit log. Its active choice wins over {@code dir} at start, so a swap survives restarts.
         */
        @WithDefault("${kensa.state-dir}/model-store")
        java.nio.file.Path storeDir();

        /** Largest bundle zip accepted by PUT /api/v1/model. */
        @WithDefault("536870912")
        long maxUploadBytes();

        /** Most bytes an uploaded zip may expand to (zip bomb guard). */
        @WithDefault("1073741824")
        long maxExtractedBytes();

        /** Most entries in an uploaded zip. */
        @WithDefault("1000")
        int maxFiles();
    }

    Api api();

    interface Api {
        /**
         * File holding the bearer token that mutating endpoints require (model swap, rollback, threshold). It must
         * not be readable by other users and must not be empty; unset = those endpoints answer 403.
         */
        java.util.Optional<java.nio.file.Path> tokenFile();

        /** Also require the token for POST /api/v1/inspect (default: the line may post images without one). */
        @WithDefault("false")
        boolean inspectRequiresToken();

        /** Also require the token for read-only API endpoints (status, results, model); health stays open. */
        @WithDefault("false")
        boolean readRequiresToken();

        /**
         * Largest image accepted from any source (POST /api/v1/inspect, the hot folder, MQTT inspect), refused from
         * its size before it is read and filed as an ERROR result.
         */
        @WithDefault("33554432")
        long maxImageBytes();
    }

    interface Journal {
        /** Where results are journalled before they are published. */
        @WithDefault("${kensa.state-dir}/journal")
        java.nio.file.Path dir();

        /** Below this much free space on the journal's disk the box reports not ready. */
        @WithDefault("104857600")
        long minFreeBytes();

        /**
         * History kept for GET /api/v1/results across restarts: published results are deleted (oldest first, a
         * segment of 64 MB at a time) only once the journal is larger than this. Unpublished results are never
         * deleted.
         */
        @WithDefault("536870912")
        long retainBytes();
    }

    Ng ng();

    interface Ng {
        /** Where NG results, heatmaps and original images are kept for review. */
        @WithDefault("${kensa.state-dir}/ng")
        java.nio.file.Path dir();

        /** Keep at most this many NG parts (oldest deleted first). */
        @WithDefault("1000")
        int maxCount();

        /** ... and at most this many bytes of them. */
        @WithDefault("1073741824")
        long maxBytes();
    }

    Drift drift();

    interface Drift {
        /**
         * Scores of the latest inspected parts (OK and NG; ERROR has none) compared with the bundle's calibration
         * scores by the drift monitor; it decides from min(100, window) scores on.
         */
        @WithDefault("500")
        int window();
    }

    /** Images waiting to be inspected before new ones are refused (HTTP 503): the back-pressure bound. */
    @WithDefault("64")
    int queueCapacity();

    /**
     * Heatmaps of this many latest results kept in memory for the status page's live feed (older ones are read from
     * the journal or the NG archive).
     */
    @WithDefault("1000")
    int recentResults();
}
