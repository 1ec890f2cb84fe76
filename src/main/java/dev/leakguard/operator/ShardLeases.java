package dev.leakguard.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds this replica's shards as Leases ({@code leakguard-shard-<i>-of-<N>} in the lease namespace),
 * one renew loop for all of them. Every write carries the resourceVersion it was read at, so two
 * replicas taking one shard cannot both win: the loser's write is refused (409) and it tries another
 * round later.
 *
 * <p>A shard is free when its Lease does not exist, names no holder (given back), or has not changed for
 * its lease duration as seen by this replica: expiry is measured on this replica's clock from when it
 * saw the Lease last change, as client-go does, never from the holder's timestamps, so clock skew
 * between nodes cannot hand one shard to two replicas. A held shard whose renewal has not succeeded
 * within the renew deadline (two thirds of the lease) is dropped here before anybody else may take it.
 *
 * <p>Fair shares need the number of live replicas: each replica writes a heartbeat into one Lease's
 * annotation ({@value #REPLICAS_ANNOTATION}); a heartbeat older than the lease duration is a dead
 * replica. Those timestamps are the writers' clocks, but they only size the shares: safety rests on
 * the shard Leases alone.
 *
 * <p>Giving a shard back stops its pods here first (the listener runs before the Lease is written),
 * so two replicas never scrape or act on a pod at once; on {@link #close()} all shards are given back
 * so that a rollout hands them over at once rather than after the lease duration.
 */
final class ShardLeases implements Shards, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ShardLeases.class);
    static final String REPLICAS_ANNOTATION = "leakguard.dev/replicas";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, Long>> HEARTBEATS = new TypeReference<>() { };

    /** Told of every change of the shards held, on the lease thread, before a given-back shard's Lease is written. */
    interface Listener {
        void shardsChanged(Set<Integer> gained, Set<Integer> lost);
    }

    private final KubernetesClient client;
    private final ScaledClock clock;
    private final String namespace;
    private final String identity;
    private final int shards;
    private final long leaseMillis;
    private final long renewDeadlineMillis;
    private final long retryMillis;
    private final int startAt;
    private final ScheduledExecutorService timer;
    private volatile Listener listener = (gained, lost) -> { };

    /** Shards held, with when each was last renewed (operator clock). */
    private final Map<Integer, Long> held = new ConcurrentHashMap<>();
    /** Per shard, the number of its latest taking (see {@link #tenure}). */
    private final Map<Integer, Long> tenures = new ConcurrentHashMap<>();
    private final AtomicLong takings = new AtomicLong();
    /** Per shard, the resourceVersion last seen and since when (operator clock): a Lease unchanged for the lease duration is free. */
    private final Map<Integer, Seen> seen = new HashMap<>();
    private long heartbeatWrittenAt = Long.MIN_VALUE / 2;

    private record Seen(String resourceVersion, long sinceMillis) {
    }

    /**
     * @param leaseDuration how long a shard holds without renewal, on the operator's clock; the renew
     *                      deadline and the retry period scale with it as JOSDK's leader election does
     */
    ShardLeases(KubernetesClient client, ScaledClock clock, String namespace, String identity, int shards, Duration leaseDuration) {
        if (shards < 2) {
            throw new IllegalArgumentException("shard Leases are for 2 or more shards, got " + shards);
        }
        this.client = client;
        this.clock = clock;
        this.namespace = namespace;
        this.identity = identity;
        this.shards = shards;
        this.leaseMillis = leaseDuration.toMillis();
        this.renewDeadlineMillis = leaseMillis * 2 / 3;
        this.retryMillis = Math.max(1, leaseMillis * 2 / 15);
        this.startAt = Math.floorMod(identity.hashCode(), shards);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "leakguard-shard-leases");
            t.setDaemon(true);
            return t;
        });
    }

    void start(Listener onChange) {
        this.listener = onChange;
        long period = clock.realDelayMillis(retryMillis);
        timer.scheduleWithFixedDelay(this::round, 0, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public int count() {
        return shards;
    }

    /**
     * Held, and renewed within the renew deadline: a replica whose lease thread is starved (a long GC pause, an
     * overloaded node) stops acting on the shard by itself, before another replica may take it.
     */
    @Override
    public boolean holds(int shard) {
        Long renewed = held.get(shard);
        return renewed != null && clock.millis() - renewed <= renewDeadlineMillis;
    }

    @Override
    public long tenure(int shard) {
        return tenures.getOrDefault(shard, 0L);
    }

    private void took(int shard, long now) {
        tenures.put(shard, takings.incrementAndGet());
        held.put(shard, now);
    }

    /** One round: heartbeat, read every shard's Lease, renew ours, drop lost ones, then give back or take to reach the fair share. */
    private void round() {
        try {
            long now = clock.millis();
            int live = heartbeat(now);
            Map<Integer, Lease> ours = new TreeMap<>();
            Set<Integer> free = new TreeSet<>();
            for (int shard = 0; shard < shards; shard++) {
                Lease lease = leases().withName(ShardPlan.leaseName(shard, shards)).get();
                if (lease == null) {
                    free.add(shard);
                    continue;
                }
                String holder = lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
                if (identity.equals(holder)) {
                    ours.put(shard, lease);
                } else if (holder == null || holder.isEmpty() || expired(shard, lease, now)) {
                    free.add(shard);
                }
            }
            Set<Integer> lost = new TreeSet<>();
            Set<Integer> gained = new TreeSet<>();
            for (Map.Entry<Integer, Lease> entry : ours.entrySet()) {
                // Ours on the server: renewed, and taken back if this replica had dropped it after a missed deadline.
                Lease renewed = write(entry.getKey(), entry.getValue(), identity);
                if (renewed != null) {
                    entry.setValue(renewed);
                    int shard = entry.getKey();
                    if (holds(shard)) {
                        held.put(shard, now);
                    } else {
                        // Taken back, or renewed after this replica had stopped working on it past the renew deadline: a
                        // new taking, whose pods start again from the samples saved for the shard.
                        took(shard, now);
                        gained.add(shard);
                    }
                }
            }
            for (Map.Entry<Integer, Long> entry : Map.copyOf(held).entrySet()) {
                if (!ours.containsKey(entry.getKey()) || now - entry.getValue() > renewDeadlineMillis) {
                    lost.add(entry.getKey());
                }
            }
            drop(lost, gained);
            ShardPlan.Moves moves = ShardPlan.moves(shards, Set.copyOf(held.keySet()), free, live, startAt);
            if (!moves.release().isEmpty()) {
                drop(new TreeSet<>(moves.release()), Set.of());
                for (int shard : moves.release()) {
                    write(shard, ours.get(shard), "");
                }
                log.info("gave back shards {} of {}: {} replicas live, fair share {}", moves.release(), shards, live,
                        ShardPlan.fairShare(shards, live));
            }
            Set<Integer> taken = new TreeSet<>();
            for (int shard : moves.acquire()) {
                Lease lease = leases().withName(ShardPlan.leaseName(shard, shards)).get();
                if (write(shard, lease, identity) != null) {
                    took(shard, now);
                    taken.add(shard);
                }
            }
            if (!taken.isEmpty()) {
                log.info("took shards {} of {}; holding {}", taken, shards, new TreeSet<>(held.keySet()));
                listener.shardsChanged(taken, Set.of());
            }
        } catch (RuntimeException e) {
            log.warn("shard Lease round failed: {}", e.getMessage());
        }
    }

    private void drop(Set<Integer> lost, Set<Integer> gained) {
        lost.forEach(held::remove);
        if (!lost.isEmpty() || !gained.isEmpty()) {
            if (!lost.isEmpty()) {
                log.info("no longer holding shards {} of {}", lost, shards);
            }
            listener.shardsChanged(gained, lost);
        }
    }

    private boolean expired(int shard, Lease lease, long now) {
        String version = lease.getMetadata().getResourceVersion();
        Seen last = seen.get(shard);
        if (last == null || !last.resourceVersion().equals(version)) {
            seen.put(shard, new Seen(version, now));
            return false;
        }
        Integer seconds = lease.getSpec().getLeaseDurationSeconds();
        long duration = seconds == null ? leaseMillis : seconds * 1000L;
        return now - last.sinceMillis() >= duration;
    }

    /**
     * Writes the shard's Lease for {@code holder} (empty: given back) over {@code current}, or creates it when
     * there is none. Returns the Lease as written; null when another replica wrote first (409) or the API server
     * did not answer.
     */
    private Lease write(int shard, Lease current, String holder) {
        ZonedDateTime at = clock.instant().atZone(ZoneOffset.UTC);
        String name = ShardPlan.leaseName(shard, shards);
        try {
            if (current == null) {
                return leases().resource(new LeaseBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                        .withNewSpec().withHolderIdentity(holder).withLeaseDurationSeconds((int) Math.max(1, leaseMillis / 1000))
                        .withAcquireTime(at).withRenewTime(at).withLeaseTransitions(0).endSpec().build()).create();
            }
            Lease next = new LeaseBuilder(current).editSpec()
                    .withHolderIdentity(holder)
                    .withLeaseDurationSeconds((int) Math.max(1, leaseMillis / 1000))
                    .withRenewTime(at)
                    .endSpec().build();
            if (!Objects.equals(current.getSpec().getHolderIdentity(), holder)) {
                next.getSpec().setAcquireTime(at);
                next.getSpec().setLeaseTransitions(Objects.requireNonNullElse(current.getSpec().getLeaseTransitions(), 0) + 1);
            }
            return leases().resource(next).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                log.warn("writing Lease {}/{} failed: {}", namespace, name, e.getMessage());
            }
            return null;
        }
    }

    /** Writes this replica's heartbeat when it is a third of the lease old; returns how many replicas are live. */
    private int heartbeat(long now) {
        String name = ShardPlan.replicasLeaseName(shards);
        Lease lease = leases().withName(name).get();
        Map<String, Long> beats = lease == null ? new TreeMap<>() : read(lease);
        if (now - heartbeatWrittenAt >= leaseMillis / 3 || !beats.containsKey(identity)) {
            Map<String, Long> next = new TreeMap<>(beats);
            // Long-dead replicas are dropped from the list so that it does not grow with every rollout.
            next.entrySet().removeIf(e -> now - e.getValue() > 2 * leaseMillis);
            next.put(identity, now);
            if (writeHeartbeats(name, lease, next)) {
                heartbeatWrittenAt = now;
                beats = next;
            }
        }
        Set<String> live = ShardPlan.live(beats, now, leaseMillis);
        live.add(identity);
        return live.size();
    }

    private Map<String, Long> read(Lease lease) {
        String text = lease.getMetadata().getAnnotations() == null ? null : lease.getMetadata().getAnnotations().get(REPLICAS_ANNOTATION);
        if (text == null) {
            return new TreeMap<>();
        }
        try {
            return JSON.readValue(text, HEARTBEATS);
        } catch (JsonProcessingException e) {
            log.warn("Lease {}/{}: annotation {} is not a JSON object of heartbeats; starting a new list", namespace,
                    lease.getMetadata().getName(), REPLICAS_ANNOTATION);
            return new TreeMap<>();
        }
    }

    private boolean writeHeartbeats(String name, Lease current, Map<String, Long> beats) {
        String text;
        try {
            text = JSON.writeValueAsString(beats);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try {
            if (current == null) {
                leases().resource(new LeaseBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                        .withAnnotations(Map.of(REPLICAS_ANNOTATION, text)).endMetadata().withNewSpec().endSpec().build()).create();
            } else {
                Lease next = new LeaseBuilder(current).build();
                Map<String, String> annotations = new LinkedHashMap<>(Objects.requireNonNullElse(next.getMetadata().getAnnotations(), Map.of()));
                annotations.put(REPLICAS_ANNOTATION, text);
                next.getMetadata().setAnnotations(annotations);
                leases().resource(next).update();
            }
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                log.warn("writing Lease {}/{} failed: {}", namespace, name, e.getMessage());
            }
            return false;
        }
    }

    private NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> leases() {
        return client.leases().inNamespace(namespace);
    }

    /** Gives every held shard back and leaves the replica list, so that the others take over now rather than after the lease. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Set<Integer> giving = new TreeSet<>(held.keySet());
        drop(giving, Set.of());
        try {
            for (int shard : giving) {
                Lease lease = leases().withName(ShardPlan.leaseName(shard, shards)).get();
                if (lease != null && identity.equals(lease.getSpec().getHolderIdentity())) {
                    write(shard, lease, "");
                }
            }
            String name = ShardPlan.replicasLeaseName(shards);
            Lease replicas = leases().withName(name).get();
            if (replicas != null) {
                Map<String, Long> beats = read(replicas);
                if (beats.remove(identity) != null) {
                    writeHeartbeats(name, replicas, beats);
                }
            }
        } catch (RuntimeException e) {
            log.warn("giving back shards {} on shutdown failed (they are taken over after the lease): {}", giving, e.getMessage());
        }
    }
}
