package dev.leakguard;

import dev.leakguard.cli.AnalyzeCommand;
import dev.leakguard.cli.DemoCommand;
import dev.leakguard.cli.RunCommand;
import dev.leakguard.cli.VersionCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Entry point of {@code java -jar target/leakguard.jar <command>}. */
@Command(name = "leakguard", mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = "Restarts leaking pods gracefully before the OOM killer does, and names the leaking code.",
        subcommands = {RunCommand.class, DemoCommand.class, VersionCommand.class, AnalyzeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    /** No command given: what a shell expects of a usage error (help on stderr, exit 2), not a silent success. */
    static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** The version baked into the jar manifest by the build. */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"leakguard " + version()};
        }
    }
}
