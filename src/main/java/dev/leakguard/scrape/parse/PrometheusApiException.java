package dev.leakguard.scrape.parse;

/**
 * A Prometheus HTTP API response is not the JSON envelope it should be. The message is at most
 * {@link MessageText#MAX_MESSAGE_CHARS} characters and has no control characters.
 */
public final class PrometheusApiException extends Exception {

    private static final long serialVersionUID = 1L;

    public PrometheusApiException(String problem) {
        super(MessageText.sanitize(problem, MessageText.MAX_MESSAGE_CHARS));
    }
}
