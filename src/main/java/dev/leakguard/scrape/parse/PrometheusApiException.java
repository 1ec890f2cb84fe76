package dev.leakguard.scrape.parse;

import dev.leakguard.text.BoundedText;

/**
 * A Prometheus HTTP API response is not the JSON envelope it should be. The message is at most
 * {@link BoundedText#MAX_MESSAGE_BYTES} bytes and has no control characters.
 */
public final class PrometheusApiException extends Exception {

    private static final long serialVersionUID = 1L;

    public PrometheusApiException(String problem) {
        super(BoundedText.bounded(problem, BoundedText.MAX_MESSAGE_BYTES));
    }
}
