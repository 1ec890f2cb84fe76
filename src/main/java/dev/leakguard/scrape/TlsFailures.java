package dev.leakguard.scrape;

import dev.leakguard.text.BoundedText;
import io.netty.handler.ssl.NotSslRecordException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/** Says in a pod owner's words why a TLS handshake failed; the JDK's (or Netty's) own message follows as the detail. */
final class TlsFailures {
    private static final int ANSWER_START_CHARS = 40;

    private TlsFailures() {
    }

    static String describe(Throwable error, ScrapeAccess.Tls tls) {
        String reason = null;
        for (Throwable cause = error; cause != null && reason == null; cause = cause.getCause()) {
            reason = reason(cause, tls);
        }
        Throwable root = error;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String detail = root instanceof NotSslRecordException ? "the answer starts with " + BoundedText.quote(answerStart(root.getMessage()))
                : root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return "TLS handshake failed: " + (reason == null ? "" : reason + " — ") + detail;
    }

    /** Netty's message carries the first record in hex ("not an SSL/TLS record: 48545450…"): the text a pod owner can read. */
    private static String answerStart(String message) {
        int hexStart = message == null ? -1 : message.lastIndexOf(": ");
        if (hexStart < 0) {
            return "";
        }
        String hex = message.substring(hexStart + 2);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i + 1 < hex.length() && text.length() < ANSWER_START_CHARS; i += 2) {
            int high = Character.digit(hex.charAt(i), 16);
            int low = Character.digit(hex.charAt(i + 1), 16);
            if (high < 0 || low < 0) {
                break;
            }
            text.append((char) (high << 4 | low));
        }
        return text.toString();
    }

    private static String reason(Throwable cause, ScrapeAccess.Tls tls) {
        if (cause instanceof CertificateExpiredException) {
            return "the pod's certificate has expired";
        }
        if (cause instanceof CertificateNotYetValidException) {
            return "the pod's certificate is not valid yet";
        }
        if (cause instanceof CertPathBuilderException) {
            return "the pod's certificate is not signed by "
                    + (tls != null && tls.caPem() != null ? "the CA of spec.metrics.tlsConfig.ca" : "a CA the JVM trusts (set spec.metrics.tlsConfig.ca)");
        }
        String message = cause.getMessage() == null ? "" : cause.getMessage().toLowerCase(Locale.ROOT);
        if (message.contains("no subject alternative") || message.contains("no name matching")) {
            return "the pod's certificate does not name "
                    + (tls != null && tls.serverName() != null ? "spec.metrics.tlsConfig.serverName" : "the pod IP (set spec.metrics.tlsConfig.serverName)");
        }
        if (cause instanceof NotSslRecordException || message.contains("unrecognized ssl message")
                || message.contains("unsupported or unrecognized")) {
            return "the port does not speak TLS (scheme https on a plain-http port?)";
        }
        return null;
    }
}
