package dev.leakguard.scrape.parse;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.StackRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The profiles captured from real programs under {@code src/test/resources/fixtures/profiles} (see its README). */
public final class ProfileFixtures {

    private static final String ROOT = "/fixtures/profiles/";

    public static final String GO_AFTER10_DEBUG1 = "go/redisleak-after10.debug1.txt";
    public static final String GO_AFTER10_DEBUG2 = "go/redisleak-after10.debug2.txt";
    public static final String GO_AFTER1000_DEBUG1 = "go/redisleak-after1000.debug1.txt";
    public static final String GO_AFTER1000_DEBUG2 = "go/redisleak-after1000.debug2.txt";
    public static final String JSTACK_AFTER10 = "jvm/threadleak-after10.jstack.txt";
    public static final String JSTACK_AFTER300 = "jvm/threadleak-after300.jstack.txt";
    public static final String JCMD_AFTER10 = "jvm/threadleak-after10.jcmd.txt";
    public static final String JCMD_AFTER300 = "jvm/threadleak-after300.jcmd.txt";
    public static final String ACTUATOR_JSON_AFTER10 = "jvm/actuator-after10.json";
    public static final String ACTUATOR_JSON_AFTER300 = "jvm/actuator-after300.json";
    public static final String ACTUATOR_TEXT_AFTER10 = "jvm/actuator-after10.txt";
    public static final String ACTUATOR_TEXT_AFTER300 = "jvm/actuator-after300.txt";

    /** Every capture in the folder, found by listing it, so a new capture is covered without naming it here. */
    public static final List<String> ALL = listCaptures();
    public static final List<String> GO = ALL.stream().filter(name -> typeOf(name) == ProfileType.go).toList();
    public static final List<String> JVM = ALL.stream().filter(name -> typeOf(name) == ProfileType.jvm).toList();

    /** Generous enough for every fixture; the size limit itself is tested separately. */
    public static final long MAX_BYTES = 16L << 20;

    private ProfileFixtures() {
    }

    private static List<String> listCaptures() {
        URL root = ProfileFixtures.class.getResource(ROOT);
        if (root == null) {
            throw new IllegalStateException("no folder " + ROOT + " on the test class path");
        }
        try (Stream<Path> files = Files.walk(Path.of(root.toURI()), 2)) {
            Path base = Path.of(root.toURI());
            List<String> captures = files.filter(Files::isRegularFile)
                    .map(file -> base.relativize(file).toString().replace('\\', '/'))
                    .filter(name -> name.startsWith("go/") || name.startsWith("jvm/"))
                    .sorted()
                    .toList();
            if (captures.isEmpty()) {
                throw new IllegalStateException("no captures under " + root);
            }
            return captures;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] bytes(String fixture) {
        try (InputStream in = ProfileFixtures.class.getResourceAsStream(ROOT + fixture)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + fixture);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(String fixture) {
        return new String(bytes(fixture), StandardCharsets.UTF_8);
    }

    public static ProfileType typeOf(String fixture) {
        return fixture.startsWith("go/") ? ProfileType.go : ProfileType.jvm;
    }

    public static List<StackRecord> records(String fixture) throws ProfileParseException {
        List<StackRecord> records = new ArrayList<>();
        parse(typeOf(fixture), bytes(fixture), records::add);
        return records;
    }

    public static GroupCounts groups(String fixture) throws ProfileParseException {
        ProfileType type = typeOf(fixture);
        Grouping.Sink sink = Grouping.sink(type);
        parse(type, bytes(fixture), sink);
        return sink.counts();
    }

    public static SkippedRecords parse(ProfileType type, byte[] profile, Consumer<StackRecord> sink)
            throws ProfileParseException {
        InputStream in = new ByteArrayInputStream(profile);
        return ProfileParser.of(type).parse(in, MAX_BYTES, sink);
    }
}
