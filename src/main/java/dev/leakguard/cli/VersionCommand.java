package dev.leakguard.cli;

import dev.leakguard.Main;
import picocli.CommandLine.Command;

@Command(name = "version", description = "Prints the leakguard version.")
public final class VersionCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("leakguard " + Main.version());
    }
}
