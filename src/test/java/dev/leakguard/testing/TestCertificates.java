package dev.leakguard.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificate authorities and server certificates made in the test, for real TLS on loopback. */
public final class TestCertificates {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestCertificates() {
    }

    /** A self-signed CA. */
    public record Authority(String name, KeyPair keys, X509Certificate certificate) {
        public String pem() {
            return TestCertificates.pem(certificate);
        }

        /**
         * A server certificate for {@code names} (DNS names, or IP addresses when they start with a digit),
         * valid from {@code notBefore} to {@code notAfter}, signed by this CA, as the SSL context a server serves it with.
         */
        public SSLContext serverContext(Instant notBefore, Instant notAfter, String... names) {
            KeyPair server = keyPair();
            X509Certificate certificate = sign(name, keys, "CN=" + names[0], server, notBefore, notAfter, false, names);
            return context(server, certificate, this.certificate);
        }

        /** A server certificate valid for a day around now. */
        public SSLContext serverContext(String... names) {
            Instant now = Instant.now();
            return serverContext(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), names);
        }
    }

    public static Authority authority(String name) {
        KeyPair keys = keyPair();
        Instant now = Instant.now();
        return new Authority("CN=" + name, keys, sign("CN=" + name, keys, "CN=" + name, keys, now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(1)), true));
    }

    private static X509Certificate sign(String issuer, KeyPair issuerKeys, String subject, KeyPair subjectKeys, Instant notBefore,
                                        Instant notAfter, boolean ca, String... names) {
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), new X500Name(subject),
                    subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (names.length > 0) {
                GeneralName[] alternatives = new GeneralName[names.length];
                for (int i = 0; i < names.length; i++) {
                    boolean ip = Character.isDigit(names[i].charAt(0));
                    alternatives[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SSLContext context(KeyPair keys, X509Certificate certificate, X509Certificate issuer) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = "test".toCharArray();
            store.setKeyEntry("server", keys.getPrivate(), password, new X509Certificate[] {certificate, issuer});
            KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            managers.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(managers.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(X509Certificate certificate) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
