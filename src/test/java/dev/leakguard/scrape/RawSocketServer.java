package dev.leakguard.scrape;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP server whose handler writes whatever bytes a test wants — including things no
 * HTTP library would send. It records when the client hung up while the handler was still writing.
 */
final class RawSocketServer implements AutoCloseable {

    interface Handler {
        void handle(InputStream in, OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket serverSocket;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final CountDownLatch clientHungUp = new CountDownLatch(1);
    private final AtomicInteger accepted = new AtomicInteger();

    RawSocketServer(Handler handler) throws IOException {
        serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(() -> acceptLoop(handler));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + serverSocket.getLocalPort() + path);
    }

    /** Connections accepted so far. */
    int acceptedConnections() {
        return accepted.get();
    }

    /** Released once a write to the client failed because the client closed the connection. */
    CountDownLatch clientHungUp() {
        return clientHungUp;
    }

    private void acceptLoop(Handler handler) {
        while (!serverSocket.isClosed()) {
            try {
                Socket socket = serverSocket.accept();
                accepted.incrementAndGet();
                connections.add(socket);
                threads.execute(() -> serve(socket, handler));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, Handler handler) {
        try (socket) {
            handler.handle(socket.getInputStream(), socket.getOutputStream());
        } catch (IOException e) {
            clientHungUp.countDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.remove(socket);
        }
    }

    /**
     * Reads the request head, so that answering does not race the client's write; false when the client closed
     * the connection first.
     */
    static boolean readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] terminator = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        int b = 0;
        while (matched < terminator.length && (b = in.read()) >= 0) {
            matched = b == terminator[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return matched == terminator.length;
    }

    static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        for (Socket socket : connections) {
            socket.close();
        }
        threads.shutdownNow();
    }
}
