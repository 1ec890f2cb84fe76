package dev.leakguard.demo;

import dev.leakguard.decide.IntOrPercent;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Selectors;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetList;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fabric8 CRUD mock API server plus the one behaviour leakguard must be tested against that
 * the mock lacks: the policy/v1 Eviction subresource honouring PodDisruptionBudgets.
 *
 * <p>{@code POST /api/v1/namespaces/{ns}/pods/{name}/eviction} deletes the pod (201) if every PDB
 * of the namespace whose selector matches the pod allows one more disruption, and otherwise answers
 * 429 with the API server's Status: message "Cannot evict pod as it would violate the pod's
 * disruption budget.", a {@code DisruptionBudget} cause naming the PDB, and Retry-After. The budget
 * is computed live from the pods, as the disruption controller would: healthy = matching pods with
 * Ready=True and no deletionTimestamp; the expected count is the number of matching pods for an
 * integer minAvailable and otherwise the sum of the controllers' replicas (a Deployment's for its
 * ReplicaSets; pods without a known controller count one each); percentages round up. A PDB with
 * neither field allows no disruption. A healthy pod may be evicted while healthy &gt; desired; a
 * Running pod that is not Ready while healthy &ge; desired (the default unhealthy-pod policy); a pod
 * that is not Running, or already terminating, always.
 *
 * <p>It also records every request as an {@link ApiCall} with RBAC's verb, so a test can prove which
 * permissions a component really needs.
 */
public class EvictionAwareDispatcher extends KubernetesCrudDispatcher {
    private static final Pattern EVICTION = Pattern.compile("^/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction/?$");
    private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");
    private static final int RETRY_AFTER_SECONDS = 10;

    private final Set<ApiCall> calls = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<ApiCall>> callsByAgent = new ConcurrentHashMap<>();
    private final List<ApiRequest> requests = new ArrayList<>();
    private final Object evictions = new Object();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        // Discovery is what kubectl reads first; it is not an API call the operator makes, so it is not recorded.
        var discovery = Discovery.answer(request.getPath());
        if (discovery.isPresent()) {
            return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(discovery.get());
        }
        if (Discovery.isOpenApi(request.getPath())) {
            return new MockResponse().setResponseCode(404);
        }
        ApiRequest seen = describe(request.getMethod(), request.getPath());
        calls.add(seen.call());
        String agent = request.getHeader("User-Agent");
        callsByAgent.computeIfAbsent(agent == null ? "" : agent, a -> ConcurrentHashMap.newKeySet()).add(seen.call());
        synchronized (requests) {
            requests.add(seen);
        }
        Matcher eviction = EVICTION.matcher(stripQuery(request.getPath()));
        if ("POST".equals(request.getMethod()) && eviction.matches()) {
            return evict(eviction.group(1), eviction.group(2));
        }
        return super.dispatch(request);
    }

    /** Every kind of request seen so far. */
    public Set<ApiCall> calls() {
        return Set.copyOf(calls);
    }

    /** The kinds of request made by clients whose User-Agent starts with {@code prefix}: one component's calls, not the test's. */
    public Set<ApiCall> callsBy(String userAgentPrefix) {
        Set<ApiCall> matching = new java.util.HashSet<>();
        callsByAgent.forEach((agent, seen) -> {
            if (agent.startsWith(userAgentPrefix)) {
                matching.addAll(seen);
            }
        });
        return matching;
    }

    /** Every request seen so far, in arrival order. */
    public List<ApiRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Drops the requests recorded so far, so that a long run does not keep every one; {@link #calls()} stays. */
    public void forgetRequests() {
        synchronized (requests) {
            requests.clear();
        }
    }

    private MockResponse evict(String namespace, String name) {
        // One eviction at a time, so two concurrent evictions cannot both spend the last disruption.
        synchronized (evictions) {
            String podPath = "/api/v1/namespaces/" + namespace + "/pods/" + name;
            Pod pod = read(podPath, Pod.class);
            if (pod == null) {
                return status(HttpURLConnection.HTTP_NOT_FOUND, "NotFound", "pods \"" + name + "\" not found", null);
            }
            if (!Pods.terminating(pod) && Pods.running(pod)) {
                List<Pod> pods = list("/api/v1/namespaces/" + namespace + "/pods", PodList.class).getItems();
                PodDisruptionBudgetList budgets = list("/apis/policy/v1/namespaces/" + namespace + "/poddisruptionbudgets",
                        PodDisruptionBudgetList.class);
                for (PodDisruptionBudget budget : budgets.getItems()) {
                    if (!Selectors.matches(budget.getSpec().getSelector(), pod.getMetadata().getLabels())) {
                        continue;
                    }
                    Health health = health(budget, pods, namespace);
                    boolean allowed = Pods.healthy(pod) ? health.current > health.desired : health.current >= health.desired;
                    if (!allowed) {
                        return refused(budget.getMetadata().getName(), health);
                    }
                }
            }
            handleDelete(podPath);
            return status(HttpURLConnection.HTTP_CREATED, null, null, null);
        }
    }

    private record Health(int desired, int current) {
    }

    private Health health(PodDisruptionBudget budget, List<Pod> allPods, String namespace) {
        List<Pod> pods = allPods.stream()
                .filter(p -> Selectors.matches(budget.getSpec().getSelector(), p.getMetadata().getLabels()))
                .toList();
        int current = (int) pods.stream().filter(Pods::healthy).count();
        IntOrString minAvailable = budget.getSpec().getMinAvailable();
        IntOrString maxUnavailable = budget.getSpec().getMaxUnavailable();
        int desired;
        if (minAvailable != null && minAvailable.getIntVal() != null) {
            desired = minAvailable.getIntVal();
        } else if (minAvailable != null) {
            desired = IntOrPercent.scaled(minAvailable.getStrVal(), expectedPods(pods, namespace), true);
        } else if (maxUnavailable != null) {
            int expected = expectedPods(pods, namespace);
            desired = Math.max(0, expected - IntOrPercent.scaled(text(maxUnavailable), expected, true));
        } else {
            desired = pods.size();
        }
        return new Health(desired, current);
    }

    /** The replicas the pods' controllers want, each controller counted once. */
    private int expectedPods(List<Pod> pods, String namespace) {
        Map<String, Integer> byController = new HashMap<>();
        int withoutController = 0;
        for (Pod pod : pods) {
            OwnerReference owner = Pods.controllerOf(pod);
            if (owner == null) {
                withoutController++;
                continue;
            }
            Scale scale = scaleOf(owner, namespace);
            if (scale == null) {
                byController.merge(owner.getUid(), 1, Integer::sum);
            } else {
                byController.put(scale.uid, scale.replicas);
            }
        }
        return withoutController + byController.values().stream().mapToInt(Integer::intValue).sum();
    }

    private record Scale(String uid, int replicas) {
    }

    private Scale scaleOf(OwnerReference owner, String namespace) {
        String apps = "/apis/apps/v1/namespaces/" + namespace + "/";
        switch (owner.getKind()) {
            case "ReplicaSet" -> {
                ReplicaSet replicaSet = read(apps + "replicasets/" + owner.getName(), ReplicaSet.class);
                if (replicaSet == null) {
                    return null;
                }
                OwnerReference deploymentRef = Pods.controllerOf(replicaSet);
                if (deploymentRef != null && "Deployment".equals(deploymentRef.getKind())) {
                    Deployment deployment = read(apps + "deployments/" + deploymentRef.getName(), Deployment.class);
                    if (deployment != null) {
                        return scale(deployment, deployment.getSpec().getReplicas());
                    }
                }
                return scale(replicaSet, replicaSet.getSpec().getReplicas());
            }
            case "StatefulSet" -> {
                StatefulSet statefulSet = read(apps + "statefulsets/" + owner.getName(), StatefulSet.class);
                return statefulSet == null ? null : scale(statefulSet, statefulSet.getSpec().getReplicas());
            }
            default -> {
                return null;
            }
        }
    }

    private static Scale scale(HasMetadata controller, Integer replicas) {
        return new Scale(controller.getMetadata().getUid(), replicas == null ? 1 : replicas);
    }

    private static String text(IntOrString value) {
        return value.getIntVal() != null ? value.getIntVal().toString() : value.getStrVal();
    }

    private MockResponse refused(String budget, Health health) {
        MockResponse response = status(429, "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                "The disruption budget " + budget + " needs " + health.desired + " healthy pods and has "
                        + health.current + " currently");
        return response.setHeader("Retry-After", RETRY_AFTER_SECONDS);
    }

    private static MockResponse status(int code, String reason, String message, String budgetCause) {
        StatusBuilder status = new StatusBuilder()
                .withApiVersion("v1").withKind("Status")
                .withStatus(code < 300 ? "Success" : "Failure")
                .withCode(code)
                .withReason(reason)
                .withMessage(message);
        if (budgetCause != null) {
            status.withNewDetails()
                    .withRetryAfterSeconds(RETRY_AFTER_SECONDS)
                    .addNewCause().withReason("DisruptionBudget").withMessage(budgetCause).endCause()
                    .endDetails();
        }
        Status body = status.build();
        return new MockResponse().setResponseCode(code)
                .setHeader("Content-Type", "application/json")
                .setBody(Serialization.asJson(body));
    }

    private <T> T read(String path, Class<T> type) {
        MockResponse response = handleGet(path);
        return response.code() == HttpURLConnection.HTTP_OK ? Serialization.unmarshal(response.getBody().readUtf8(), type) : null;
    }

    private <T> T list(String path, Class<T> type) {
        return Serialization.unmarshal(handleGet(path).getBody().readUtf8(), type);
    }

    private static String stripQuery(String path) {
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    /** Maps a request to RBAC's view of it, as the API server's request-info resolver does. */
    static ApiRequest describe(String method, String rawPath) {
        String path = stripQuery(rawPath);
        boolean watch = rawPath.contains("watch=true") || rawPath.contains("watch=1");
        List<String> segments = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
        int resourceStart;
        String group;
        if (segments.size() >= 3 && segments.get(0).equals("api")) {
            group = "";
            resourceStart = 2;
        } else if (segments.size() >= 4 && segments.get(0).equals("apis")) {
            group = segments.get(1);
            resourceStart = 3;
        } else {
            return new ApiRequest(new ApiCall(method.toLowerCase(), "", path, ""), null, null);
        }
        List<String> rest = segments.subList(resourceStart, segments.size());
        String namespace = null;
        if (rest.size() >= 3 && rest.get(0).equals("namespaces")
                && !(rest.size() == 3 && NAMESPACE_SUBRESOURCES.contains(rest.get(2)))) {
            namespace = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        String resource = rest.get(0);
        String name = rest.size() > 1 ? rest.get(1) : null;
        String subresource = rest.size() > 2 ? rest.get(2) : "";
        String verb = switch (method) {
            case "GET", "HEAD" -> watch ? "watch" : name == null ? "list" : "get";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name == null ? "deletecollection" : "delete";
            default -> method.toLowerCase();
        };
        return new ApiRequest(new ApiCall(verb, group, resource, subresource), namespace, name);
    }
}
