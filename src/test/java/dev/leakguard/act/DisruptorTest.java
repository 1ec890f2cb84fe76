package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.demo.ApiRequest;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.EvictionAwareDispatcher;
import dev.leakguard.engine.PodKey;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DisruptorTest {
    private DemoApiServer api;

    @BeforeEach
    void start() {
        api = new DemoApiServer();
        api.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build()).create();
        api.client().pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("checkout-1")
                .withAnnotations(Map.of("team", "payments")).endMetadata().build()).create();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void writesOnlyChangedKeysWithOnePatchAndNoRead() {
        Disruptor annotator = new Disruptor(api.client());
        int before = requests().size();

        Map<String, String> written = annotator.annotate(new PodKey("shop", "checkout-1"), Map.of("leakguard.dev/verdict", "suspect"),
                Map.of("leakguard.dev/verdict", "suspect", "leakguard.dev/seconds-to-limit", "840"));

        assertThat(written).containsExactly(Map.entry("leakguard.dev/seconds-to-limit", "840"));
        assertThat(requests().subList(before, requests().size())).extracting(r -> r.call().toString() + " " + r.name())
                .containsExactly("patch core/pods checkout-1");
        assertThat(api.client().pods().inNamespace("shop").withName("checkout-1").get().getMetadata().getAnnotations())
                .containsEntry("leakguard.dev/seconds-to-limit", "840").containsEntry("team", "payments");
    }

    @Test
    void sendsNothingWhenNothingChanged() {
        Disruptor annotator = new Disruptor(api.client());
        int before = requests().size();

        assertThat(annotator.annotate(new PodKey("shop", "checkout-1"), Map.of("leakguard.dev/verdict", "healthy"),
                Map.of("leakguard.dev/verdict", "healthy"))).isEmpty();

        assertThat(requests()).hasSize(before);
    }

    private java.util.List<ApiRequest> requests() {
        return ((EvictionAwareDispatcher) api.dispatcher()).requests();
    }
}
