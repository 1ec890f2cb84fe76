package dev.leakguard.scrape;

import dev.leakguard.scrape.FetchResult.ErrorResponse;
import dev.leakguard.scrape.FetchResult.Failure;
import dev.leakguard.scrape.FetchResult.Success;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Supplier;
import java.util.zip.ZipException;

/**
 * Reads a response body one chunk at a time into a {@link CappedBuffer}, gunzipping on the way when
 * asked, and turns it into a {@link FetchResult}. It cancels the exchange as soon as the body is
 * too large or undecodable, and a collector made with {@link #rejecting} cancels before reading
 * anything.
 *
 * <p>The HTTP client keeps a pooled connection's last exchange — response, body and this
 * subscriber — until the connection is used again, i.e. until the pod's next scrape. So the result
 * goes out in a {@link Handoff} that is emptied when taken, and the collector lets go of its buffer
 * and its caller once done: otherwise every watched pod's last body stays on the heap.
 */
final class BodyCollector implements BodySubscriber<BodyCollector.Handoff> {

    /** The response body as the HTTP client sees it: a box the fetcher empties. */
    static final class Handoff {
        private FetchResult result;

        private Handoff(FetchResult result) {
            this.result = result;
        }

        /** The result, once; null afterwards. */
        synchronized FetchResult take() {
            FetchResult taken = result;
            result = null;
            return taken;
        }
    }

    private final CompletableFuture<Handoff> result = new CompletableFuture<>();
    private final long maxBodyBytes;
    private final int status;
    private final String contentType;
    private Supplier<Duration> elapsed;
    private CappedBuffer buffer;
    private StreamingGunzip gunzip;
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;

    private BodyCollector(long maxBodyBytes, int status, boolean gzip, String contentType, Supplier<Duration> elapsed) {
        this.maxBodyBytes = maxBodyBytes;
        this.status = status;
        this.contentType = contentType;
        this.elapsed = elapsed;
        this.buffer = new CappedBuffer(maxBodyBytes);
        this.gunzip = gzip ? new StreamingGunzip(buffer) : null;
    }

    private BodyCollector(Failure failure) {
        this.maxBodyBytes = 0;
        this.status = 0;
        this.contentType = "";
        this.elapsed = failure::elapsed;
        this.buffer = null;
        this.gunzip = null;
        result.complete(new Handoff(failure));
    }

    /** A 2xx {@code status} completes as a {@link Success}, any other as an {@link ErrorResponse}. */
    static BodyCollector collecting(long maxBodyBytes, int status, boolean gzip, String contentType, Supplier<Duration> elapsed) {
        return new BodyCollector(maxBodyBytes, status, gzip, contentType, elapsed);
    }

    /** A collector that reads nothing: the response is already known to be a failure. */
    static BodyCollector rejecting(Failure failure) {
        return new BodyCollector(failure);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        if (cancelled || result.isDone()) {
            subscription.cancel();
        } else {
            subscription.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> chunks) {
        if (result.isDone()) {
            return;
        }
        try {
            for (ByteBuffer chunk : chunks) {
                if (!consume(chunk)) {
                    stop(FailureKind.TOO_LARGE, "body is larger than " + maxBodyBytes + " bytes"
                            + (gunzip != null ? " after gunzip" : ""));
                    return;
                }
            }
        } catch (ZipException e) {
            stop(FailureKind.BAD_ENCODING, "invalid gzip body: " + e.getMessage());
            return;
        }
        subscription.request(1);
    }

    private boolean consume(ByteBuffer chunk) throws ZipException {
        if (gunzip == null) {
            return buffer.append(chunk);
        }
        if (chunk.hasArray()) {
            boolean fits = gunzip.write(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
            chunk.position(chunk.limit());
            return fits;
        }
        byte[] copy = new byte[chunk.remaining()];
        chunk.get(copy);
        return gunzip.write(copy, 0, copy.length);
    }

    @Override
    public void onError(Throwable error) {
        if (!result.isDone()) {
            finish(failure(FailureKind.CONNECTION, HttpFetcher.describe("body read failed", error)));
        }
    }

    @Override
    public void onComplete() {
        if (result.isDone()) {
            return;
        }
        if (gunzip != null) {
            try {
                gunzip.finish();
            } catch (ZipException e) {
                finish(failure(FailureKind.BAD_ENCODING, "invalid gzip body: " + e.getMessage()));
                return;
            }
        }
        finish(status >= 200 && status < 300
                ? new Success(buffer.array(), buffer.size(), contentType, elapsed.get())
                : new ErrorResponse(status, buffer.array(), buffer.size(), contentType, elapsed.get()));
    }

    @Override
    public CompletionStage<Handoff> getBody() {
        return result;
    }

    /** Stops reading: the exchange is abandoned, typically because the fetch timed out. */
    void cancel() {
        cancelled = true;
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
    }

    private void stop(FailureKind kind, String message) {
        finish(failure(kind, message));
        cancel();
    }

    /** Hands the result over and drops everything this collector held (signals are serialised, so no onNext runs now). */
    private void finish(FetchResult outcome) {
        if (gunzip != null) {
            gunzip.release();
        }
        gunzip = null;
        buffer = null;
        elapsed = null;
        result.complete(new Handoff(outcome));
    }

    private Failure failure(FailureKind kind, String message) {
        return new Failure(kind, HttpFetcher.safeMessage(message), elapsed.get());
    }
}
