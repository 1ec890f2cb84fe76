package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.ExternalTool;
import dev.leakguard.testing.RealKubernetes;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What the real API server says a user may do, read with {@code kubectl auth can-i --list}. */
final class RbacOnTheServer {
    private RbacOnTheServer() {
    }

    /**
     * Every resource permission of {@code user} in {@code namespace} (cluster-wide grants included), as
     * "verb group/resource[/subresource]" with "core" for the core group. Non-resource URLs are left out.
     */
    static Set<String> grantedTo(RealKubernetes k8s, String user, String namespace) {
        ExternalTool.Result listed = k8s.kubectl("auth", "can-i", "--list", "--as=" + user, "-n", namespace);
        assertThat(listed.exitCode()).as("kubectl auth can-i --list: %s", listed.output()).isZero();
        Set<String> granted = new TreeSet<>();
        List<String> lines = listed.output().lines().toList();
        assertThat(lines.get(0)).startsWith("Resources");
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank() || line.startsWith(" ")) {
                continue; // a non-resource URL row has no resource column
            }
            String[] columns = line.trim().split("\\s+", 2);
            String verbs = line.substring(line.lastIndexOf('[') + 1, line.lastIndexOf(']'));
            for (String verb : verbs.split(" ")) {
                if (!verb.isBlank()) {
                    granted.add(verb + " " + groupAndResource(columns[0]));
                }
            }
        }
        return granted;
    }

    /** {@code pods/eviction} → core/pods/eviction; {@code leakpolicies.leakguard.dev/status} → leakguard.dev/leakpolicies/status. */
    static String groupAndResource(String column) {
        int slash = column.indexOf('/');
        String resourceAndGroup = slash < 0 ? column : column.substring(0, slash);
        String subresource = slash < 0 ? "" : column.substring(slash);
        int dot = resourceAndGroup.indexOf('.');
        String resource = dot < 0 ? resourceAndGroup : resourceAndGroup.substring(0, dot);
        String group = dot < 0 ? "core" : resourceAndGroup.substring(dot + 1);
        return group + "/" + resource + subresource;
    }
}
