package dev.leakguard.engine;

/** Everything outside itself the engine reaches, through interfaces it defines: the operator adapts Kubernetes to them. */
public record Ports(EventSink events, AnnotationSink annotations, EvidenceSink evidence, Restarter restarter,
                    ProfileSource profiles) {
}
