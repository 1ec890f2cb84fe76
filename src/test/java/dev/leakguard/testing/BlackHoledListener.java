package dev.leakguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback port whose SYNs are dropped, as behind a NetworkPolicy or firewall that drops: a listener
 * that never accepts, its accept queue filled at once, so that Linux drops every further SYN and a
 * connect hangs until the client gives up (no RST, unlike a closed port).
 */
public final class BlackHoledListener implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> queueFillers = new ArrayList<>();

    public BlackHoledListener() {
        try {
            listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            // Linux queues backlog + 1 completed handshakes; one more connect would already hang.
            for (int i = 0; i < 2; i++) {
                Socket filler = new Socket();
                filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 1000);
                queueFillers.add(filler);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket filler : queueFillers) {
            filler.close();
        }
        listener.close();
    }
}
