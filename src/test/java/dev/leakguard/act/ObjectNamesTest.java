package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectNamesTest {
    private static final String LABEL_VALUE = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
    private static final String DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

    record Case(String name, String input) {
    }

    @Test
    void labelValuesAreValidAndKeepNamesApart() {
        String head = "go-services-with-a-name-longer-than-a-label-value-may-be-0123-";
        List<Case> cases = List.of(
                new Case("short name kept as is", "checkout-api"),
                new Case("exactly 63", "a".repeat(63)),
                new Case("70 characters", head + "abcdefgh"),
                new Case("cut would end in a dash", "a".repeat(52) + "-" + "b".repeat(20)),
                new Case("cut would end in a dot", "a".repeat(52) + "." + "b".repeat(20)),
                new Case("253 characters", "p".repeat(253)));
        for (Case c : cases) {
            String value = ObjectNames.labelValue(c.input());
            assertThat(value).as(c.name()).hasSizeLessThanOrEqualTo(63).matches(LABEL_VALUE);
            if (c.input().length() <= 63) {
                assertThat(value).as(c.name()).isEqualTo(c.input());
            }
        }
        assertThat(ObjectNames.labelValue(head + "one-more")).as("two long names with the same head")
                .isNotEqualTo(ObjectNames.labelValue(head + "another"));
    }

    @Test
    void derivedNamesAreValidObjectNamesAndKeepPodsApart() {
        String longPod = "ledger-" + "x".repeat(240);
        String name = ObjectNames.derivedName("leakguard-evidence-", longPod);
        assertThat(name).hasSizeLessThanOrEqualTo(253).matches(DNS_SUBDOMAIN).startsWith("leakguard-evidence-ledger-");
        assertThat(ObjectNames.derivedName("leakguard-evidence-", longPod + "-1"))
                .isNotEqualTo(ObjectNames.derivedName("leakguard-evidence-", longPod + "-2"));
        assertThat(ObjectNames.derivedName("leakguard-evidence-", "checkout-7d9f8-gx7nh")).isEqualTo("leakguard-evidence-checkout-7d9f8-gx7nh");
    }
}
