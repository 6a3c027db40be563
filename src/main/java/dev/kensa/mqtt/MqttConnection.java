package dev.kensa.mqtt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.util.MqttTopicValidator;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The daemon's one MQTT 5 connection (../shared/DESIGN.md §6, §10): one Paho client, shared by the results publisher
 * and every MQTT source, so the broker sees one client id per box ({@code kensa-<deviceId>}) and credentials, TLS,
 * the Last Will and the reconnect policy live in one place.
 *
 * <ul>
 *   <li><b>Reconnect</b>: its own thread, {@code kensa-mqtt}, connects and reconnects, backing off from 200 ms to
 *   5 s. Not Paho's automatic reconnect: Paho 1.2.5 retries only after a first successful connection, and its retry
 *   timer is a non-daemon thread that {@code close()} cannot stop while the broker is down
 *   (eclipse-paho/paho.mqtt.java#654, #425), so a daemon shut down during an outage would leak it.</li>
 *   <li><b>Session</b>: persistent (clean start off, {@value #SESSION_EXPIRY_S} s expiry), so inspect requests sent
 *   while the box restarts wait at the broker. The Last Will says {@code offline} on the retained {@code status}
 *   topic when the box vanishes without a goodbye.</li>
 *   <li><b>Subscriptions</b> ({@link #subscribe}) may be registered before or after {@link #start()}; each is
 *   subscribed on every connection whose broker has no session holding it. Its messages are queued in arrival order
 *   and handled one at a time by {@link Subscription#serve()}, on a thread of the subscription's owner, and
 *   acknowledged only after the handler returned, so a box killed meanwhile gets the message again from the broker.
 *   Never on Paho's callback thread: a handler blocking it would fill Paho's inbound queue (10 messages), and then
 *   Paho's receiver thread would stop reading, the broker's acknowledgements of what the box publishes included.</li>
 *   <li><b>Back-pressure</b>: the Receive Maximum of {@link MqttSettings} bounds the unacknowledged messages the
 *   broker sends; it holds the rest. So Paho's callback thread never waits for a handler (QoS 0 messages, which the
 *   broker does not count, wait there once a subscription holds that many).</li>
 * </ul>
 * Listeners ({@link #addListener}) hear of every (re)connection, on this connection's thread once the subscriptions
 * are in place (the publisher sends its retained status then), and of every loss.
 */
public final class MqttConnection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MqttConnection.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long the broker keeps the box's session (subscriptions, queued messages) while it is away, seconds. */
    public static final long SESSION_EXPIRY_S = 3600;
    private static final long SUBSCRIBE_TIMEOUT_MS = 10_000;
    /** How often the connection thread looks, when nothing woke it, whether subscriptions wait to be made. */
    private static final long IDLE_MS = 500;

    /** Hears of the connection's state. */
    public interface Listener {
        /**
         * After every (re)connection, once the subscriptions are in place; on the connection's thread, which may
         * publish but should not wait long.
         *
         * @param reconnect false for the first connection of this process
         */
        default void connected(boolean reconnect) {
        }

        /** The connection was lost; on Paho's callback thread, so nothing here may wait for a token. */
        default void lost(String reason) {
        }
    }

    /** Handles one message of a subscription; the message is acknowledged once this returns. */
    @FunctionalInterface
    public interface Handler {
        void handle(String topic, MqttMessage message) throws Exception;
    }

    private final MqttSettings settings;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final Thread thread;
    /** Wakes the connection thread (connection lost, subscription added) and those awaiting a connection. */
    private final Object signal = new Object();
    /** Held while a message is acknowledged and while a new connection begins, so no acknowledgement crosses one. */
    private final Object ackLock = new Object();
    private volatile boolean running;
    private volatile boolean closed;
    private volatile boolean everConnected;
    /** Counts connection attempts: a message is acknowledged only on the connection that brought it. */
    private volatile long connection;
    private long notified = -1;

    public MqttConnection(MqttSettings settings) {
        this.settings = settings;
        try {
            // memory persistence: the journal, not Paho, is what survives a crash
            this.client = new MqttAsyncClient(settings.serverUri(), settings.clientId(), new MemoryPersistence());
        } catch (MqttException e) {
            throw new IllegalArgumentException("cannot create MQTT client for " + settings.serverUri() + ": " + e.getMessage(), e);
        }
        client.setCallback(new Callback());
        client.setManualAcks(true); // a message is acknowledged after its handler returned, not on arrival
        this.options = settings.connectionOptions();
        options.setAutomaticReconnect(false); // this connection's thread reconnects; see the class comment
        options.setKeepAliveInterval(30);
        options.setCleanStart(false);
        options.setSessionExpiryInterval(SESSION_EXPIRY_S);
        MqttProperties willProps = new MqttProperties();
        willProps.setContentType("application/json");
        options.setWill(settings.topic(Topics.STATUS), new MqttMessage(json(new BareStatus("offline", settings.deviceId())),
                1, true, willProps));
        this.thread = new Thread(this::run, "kensa-mqtt");
        thread.setDaemon(true);
    }

    public MqttSettings settings() {
        return settings;
    }

    public String serverUri() {
        return settings.serverUri();
    }

    public boolean isConnected() {
        return client.isConnected();
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** Starts the connection thread, which connects, subscribes and reconnects until {@link #close()}. */
    public MqttConnection start() {
        running = true;
        thread.start();
        return this;
    }

    /**
     * Registers a subscription; it is subscribed on the current connection, if any, and on every later one that needs
     * it. Its messages wait until the owner runs {@link Subscription#serve()}.
     *
     * @param filter a topic filter, possibly a shared subscription {@code $share/<group>/<filter>}
     * @param qos    the maximum QoS to receive it at
     */
    public Subscription subscribe(String filter, int qos, Handler handler) {
        Subscription s = new Subscription(filter, qos, handler);
        subscriptions.add(s);
        wake();
        return s;
    }

    /** Publishes without waiting; the token completes when the broker acknowledged (QoS 1). */
    public IMqttToken publish(String topic, MqttMessage message) throws MqttException {
        return client.publish(topic, message);
    }

    /** Waits until connected, at most {@code millis}; returns whether it is. */
    public boolean awaitConnected(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (signal) {
            while (!client.isConnected() && !closed) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                signal.wait(left);
            }
        }
        return client.isConnected();
    }

    private void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    private void run() {
        Backoff backoff = new Backoff();
        while (running) {
            try {
                if (!client.isConnected()) {
                    connect();
                    backoff.succeeded();
                }
                try {
                    subscribePending();
                } finally {
                    tellConnected();
                }
                synchronized (signal) {
                    if (running && client.isConnected()) {
                        signal.wait(IDLE_MS); // woken by a lost connection or a new subscription
                    }
                }
            } catch (InterruptedException e) {
                break;
            } catch (MqttException | RuntimeException e) {
                // close() interrupts a wait, which Paho reports as an MqttException
                if (!running || !backoff.retry(LOG, "MQTT broker " + settings.serverUri() + " not reachable (" + e
                        + "); retrying, backing off up to " + Backoff.MAX_MS / 1000 + " s")) {
                    break;
                }
            }
        }
        LOG.debug("MQTT connection thread stopped");
    }

    /** One connection attempt; on success, what the broker's session still holds is sorted out. */
    private void connect() throws MqttException {
        long attempt;
        synchronized (ackLock) {
            attempt = ++connection; // messages from here on belong to this connection
        }
        IMqttToken t = client.connect(options);
        t.waitForCompletion(settings.connectTimeoutS() * 1000L + 1000);
        boolean sessionPresent = t.getSessionPresent();
        for (Subscription s : subscriptions) {
            s.connected(attempt, sessionPresent);
        }
        LOG.infof("MQTT %s to %s%s", everConnected ? "reconnected" : "connected", settings.serverUri(),
                sessionPresent ? " (the broker kept the session)" : "");
        wake();
    }

    private void subscribePending() throws MqttException {
        for (Subscription s : subscriptions) {
            if (s.subscribed || !client.isConnected()
                    || (s.refusedOn == connection && System.currentTimeMillis() - s.refusedAtMs < Backoff.MAX_MS)) {
                continue;
            }
            IMqttToken t = client.subscribe(new MqttSubscription(s.filter, s.qos));
            t.waitForCompletion(SUBSCRIBE_TIMEOUT_MS);
            int[] codes = t.getReasonCodes();
            int code = codes == null || codes.length == 0 ? 0 : codes[0];
            if (code >= 0x80) {
                // refused (e.g. not authorised): tried again every few seconds, said once per connection
                s.refusedAtMs = System.currentTimeMillis();
                if (s.refusedOn != connection) {
                    s.refusedOn = connection;
                    LOG.warnf("MQTT broker %s refused the subscription to %s (reason code 0x%02x)", settings.serverUri(),
                            s.filter, code);
                }
                continue;
            }
            s.subscribed = true;
            s.everSubscribed = true;
            LOG.infof("MQTT subscribed to %s", s.filter);
        }
    }

    private void tellConnected() {
        long c = connection;
        if (!client.isConnected() || notified == c) {
            return;
        }
        notified = c;
        boolean reconnect = everConnected;
        everConnected = true;
        for (Listener l : listeners) {
            try {
                l.connected(reconnect);
            } catch (RuntimeException e) {
                LOG.warnf("MQTT connection listener failed: %s", e.toString());
            }
        }
    }

    /**
     * Stops reconnecting and disconnects normally: no Last Will, and the broker keeps the session (subscriptions and
     * the messages for them) for {@value #SESSION_EXPIRY_S} s. Messages queued but not handled stay unacknowledged,
     * so the broker sends them again on the next connection. Whoever serves subscriptions stops first.
     */
    @Override
    public void close() {
        running = false;
        closed = true;
        thread.interrupt();
        try {
            thread.join(settings.connectTimeoutS() * 1000L + 2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Subscription s : subscriptions) {
            s.close();
        }
        wake();
        try {
            if (client.isConnected()) {
                client.disconnect(2_000).waitForCompletion(3_000);
            }
        } catch (MqttException e) {
            LOG.debugf("MQTT disconnect: %s", e.toString());
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debugf("MQTT close: %s", e.toString());
        }
    }

    /** {@code m} as JSON bytes, as every Kensa message carries it. */
    public static byte[] json(Object m) {
        try {
            return JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + m + ": " + e.getMessage(), e);
        }
    }

    /** A message as it arrived, with the connection that brought it (acknowledged only on that one). */
    private record Delivery(String topic, MqttMessage message, long connection) {
    }

    /**
     * One subscription: its messages in arrival order, handled by {@link #serve()} and acknowledged after the
     * handler returned.
     */
    public final class Subscription {
        private final String filter;
        private final String matchFilter;
        private final int qos;
        private final Handler handler;
        /** Guarded by itself; the head is the message being handled, removed only once it is acknowledged. */
        private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
        private final AtomicLong handled = new AtomicLong();
        private volatile boolean subscribed;
        private volatile boolean everSubscribed;
        private volatile long refusedOn = -1;
        private volatile long refusedAtMs;
        private boolean handling;
        private boolean closed;

        private Subscription(String filter, int qos, Handler handler) {
            MqttTopicValidator.validate(filter, true, true);
            this.filter = filter;
            this.matchFilter = withoutShare(filter);
            this.qos = qos;
            this.handler = handler;
        }

        public String filter() {
            return filter;
        }

        /** Subscribed on the current connection. */
        public boolean isSubscribed() {
            return subscribed && client.isConnected();
        }

        /** Messages handled and acknowledged (or for QoS 0, handled). */
        public long handled() {
            return handled.get();
        }

        /** Messages received and not yet handled, the one being handled included. */
        public int waiting() {
            synchronized (queue) {
                return queue.size();
            }
        }

        /**
         * Handles this subscription's messages, in arrival order, on the calling thread until it is interrupted. A
         * handler that throws gets the same message again after a back-off (200 ms to 5 s), like a hot folder file
         * that could not be inspected: it is never skipped. An {@link Error} ends this call with the message still at
         * the head, so the next call (a restarted worker) handles it first.
         */
        public void serve() throws InterruptedException {
            while (true) {
                Delivery d = next();
                Backoff backoff = new Backoff();
                while (true) {
                    try {
                        handler.handle(d.topic(), d.message());
                        break;
                    } catch (InterruptedException e) {
                        throw e;
                    } catch (Exception e) {
                        if (!backoff.retry(LOG, "MQTT " + d.topic() + ": message not handled, will retry (never skipped): "
                                + e)) {
                            throw new InterruptedException("stopped while retrying a message of " + d.topic());
                        }
                    }
                }
                acknowledge(d);
                handled.incrementAndGet();
                synchronized (queue) {
                    if (queue.peekFirst() == d) {
                        queue.pollFirst();
                    }
                    handling = false;
                    queue.notifyAll();
                }
            }
        }

        private Delivery next() throws InterruptedException {
            synchronized (queue) {
                while (queue.isEmpty()) {
                    queue.wait();
                }
                handling = true;
                return queue.peekFirst();
            }
        }

        private void acknowledge(Delivery d) {
            int q = d.message().getQos();
            if (q == 0) {
                return;
            }
            synchronized (ackLock) {
                // a message of an earlier connection is not ours to acknowledge: the broker sends it again
                if (d.connection() != connection || !client.isConnected()) {
                    return;
                }
                try {
                    client.messageArrivedComplete(d.message().getId(), q);
                } catch (MqttException e) {
                    LOG.debugf("MQTT %s: acknowledgement not sent (%s); the broker sends the message again",
                            d.topic(), e.toString());
                }
            }
        }

        /** On Paho's callback thread. */
        private void arrived(Delivery d) throws InterruptedException {
            synchronized (queue) {
                // only QoS 0 (not counted by the Receive Maximum) or a broker that ignores it can get here
                while (queue.size() >= settings.receiveMaximum() && !closed) {
                    queue.wait(IDLE_MS);
                }
                queue.addLast(d);
                queue.notifyAll();
            }
        }

        /**
         * A new connection: without a session at the broker, subscribe again. With one, messages of an earlier
         * connection still waiting here were not acknowledged, so the broker sends them again: drop these copies
         * (not the one being handled), or they would be handled twice.
         */
        private void connected(long attempt, boolean sessionPresent) {
            subscribed = sessionPresent && everSubscribed;
            if (!sessionPresent) {
                return;
            }
            synchronized (queue) {
                Delivery head = handling ? queue.peekFirst() : null;
                queue.removeIf(d -> d != head && d.connection() < attempt && d.message().getQos() > 0);
            }
        }

        private boolean matches(String topic) {
            return MqttTopicValidator.isMatched(matchFilter, topic);
        }

        private void close() {
            synchronized (queue) {
                closed = true;
                queue.notifyAll();
            }
        }
    }

    /** {@code $share/<group>/<filter>} matches topics as {@code <filter>} does. */
    static String withoutShare(String filter) {
        if (filter.startsWith("$share/")) {
            int slash = filter.indexOf('/', "$share/".length());
            return slash < 0 ? filter : filter.substring(slash + 1);
        }
        return filter;
    }

    /** Paho's callbacks run on its own thread: nothing here may wait for a token. */
    private final class Callback implements MqttCallback {
        @Override
        public void disconnected(MqttDisconnectResponse response) {
            for (Subscription s : subscriptions) {
                s.subscribed = false;
            }
            if (closed) {
                return; // our own goodbye
            }
            String reason = response == null ? "?" : response.getReasonString() != null ? response.getReasonString()
                    : String.valueOf(response.getException());
            for (Listener l : listeners) {
                try {
                    l.lost(reason);
                } catch (RuntimeException e) {
                    LOG.warnf("MQTT connection listener failed: %s", e.toString());
                }
            }
            wake();
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) throws Exception {
            Delivery d = new Delivery(topic, message, connection);
            for (Subscription s : subscriptions) {
                if (s.matches(topic)) {
                    s.arrived(d);
                    return;
                }
            }
            // left in the broker's session by an earlier configuration of this box (e.g. MQTT inspect since
            // switched off): nobody here handles it, and unacknowledged it would hold a Receive Maximum slot for good
            LOG.warnf("MQTT: a message on %s matches no subscription of this box (one its session kept from an earlier "
                    + "configuration); dropped", topic);
            if (message.getQos() > 0) {
                client.messageArrivedComplete(message.getId(), message.getQos());
            }
        }

        @Override
        public void mqttErrorOccurred(MqttException e) {
            LOG.warnf("MQTT error: %s", e.toString());
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
            // handled on the connection thread, after subscribing (see connect())
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }
    }
}
