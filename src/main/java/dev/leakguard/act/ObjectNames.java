package dev.leakguard.act;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names and label values leakguard derives from other objects' names. Kubernetes allows a pod or policy name
 * of up to 253 characters, but a label value only 63 and a derived name only 253 in total; a plain cut could
 * end in '-' or '.' (invalid) or make two long names collide, so a long one keeps a readable head and gets a
 * hash of the whole.
 */
public final class ObjectNames {
    static final int MAX_NAME = 253;
    static final int MAX_LABEL_VALUE = 63;
    private static final int HASH_CHARS = 10;
    /** The Lease in the operator's namespace that holds the {@link dev.leakguard.decide.OperatorLedger}. */
    public static final String OPERATOR_LEDGER = "leakguard-operator-restarts";

    private ObjectNames() {
    }

    /** {@code prefix + name} as a valid object name (DNS subdomain), unique for each {@code name}. */
    public static String derivedName(String prefix, String name) {
        return fit(prefix + name, MAX_NAME);
    }

    /** {@code value} (a DNS-subdomain name) as a valid label value, unique for each value. */
    public static String labelValue(String value) {
        return fit(value, MAX_LABEL_VALUE);
    }

    private static String fit(String value, int max) {
        if (value.length() <= max) {
            return value;
        }
        int keep = max - HASH_CHARS - 1;
        String head = value.substring(0, keep);
        // Names and label values must end with an alphanumeric character.
        while (!head.isEmpty() && !Character.isLetterOrDigit(head.charAt(head.length() - 1))) {
            head = head.substring(0, head.length() - 1);
        }
        return head + "-" + sha256Hex(value).substring(0, HASH_CHARS);
    }

    private static String sha256Hex(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
