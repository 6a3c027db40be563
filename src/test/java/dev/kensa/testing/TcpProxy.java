package dev.kensa.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay to a real server, for tests that need the network to fail under a client: {@link #cut()} drops
 * every connection at once with a TCP reset and stops listening, as a crashed process or a pulled cable does; the
 * server sees the socket die with no goodbye on the protocol level (for MQTT: no DISCONNECT, so the Last Will).
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean cut;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "test-tcp-proxy");
        t.setDaemon(true);
        t.start();
    }

    /** {@code tcp://127.0.0.1:PORT} of the relay. */
    public String uri() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!cut) {
            try {
                Socket client = server.accept();
                Socket target = new Socket();
                target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                sockets.add(client);
                sockets.add(target);
                pump(client, target);
                pump(target, client);
            } catch (IOException e) {
                return; // closed by cut() or close()
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                // the other side or cut() ended it
            }
        }, "test-tcp-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Resets every relayed connection (no FIN, no protocol goodbye) and accepts no new ones. */
    public void cut() throws IOException {
        cut = true;
        server.close();
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0); // close with RST
                s.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    @Override
    public void close() throws IOException {
        cut();
    }
}
