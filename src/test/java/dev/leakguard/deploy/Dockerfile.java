package dev.leakguard.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Dockerfile split into build stages and instructions (continuations joined, comments dropped). */
record Dockerfile(List<Stage> stages) {

    record Instruction(String keyword, String arguments) {
    }

    record Stage(String image, String name, List<Instruction> instructions) {

        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }
    }

    static Dockerfile parse(Path file) {
        List<Stage> stages = new ArrayList<>();
        for (String line : logicalLines(ProjectFiles.read(file))) {
            String[] parts = line.split("\\s+", 2);
            Instruction instruction = new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1].strip() : "");
            if (instruction.keyword().equals("FROM")) {
                String[] from = instruction.arguments().split("\\s+");
                boolean named = from.length == 3 && from[1].equalsIgnoreCase("AS");
                stages.add(new Stage(from[0], named ? from[2] : null, new ArrayList<>()));
            } else if (stages.isEmpty()) {
                throw new IllegalArgumentException("instruction before FROM: " + line);
            } else {
                stages.get(stages.size() - 1).instructions().add(instruction);
            }
        }
        return new Dockerfile(stages);
    }

    private static List<String> logicalLines(String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                lines.add(current.append(line).toString().strip());
                current.setLength(0);
            }
        }
        return lines;
    }
}
