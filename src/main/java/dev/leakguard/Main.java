package dev.leakguard;

import dev.leakguard.cli.AnalyzeCommand;
import dev.leakguard.cli.DemoCommand;
import dev.leakguard.cli.RunCommand;
import dev.leakguard.cli.VersionCommand;
import dev.leakguard.scrape.JdkHttpTuning;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code java -jar target/leakguard.jar <command>}. */
@Command(name = "leakguard", mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = "Restarts leaking pods gracefully before the OOM killer does, and names the leaking code.",
        subcommands = {RunCommand.class, DemoCommand.class, VersionCommand.class, AnalyzeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        JdkHttpTuning.apply();
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
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
