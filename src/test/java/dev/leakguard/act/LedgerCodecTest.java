package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartStrategy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LedgerCodecTest {
    @Test
    void roundTripsEveryField() {
        RestartLedger ledger = new RestartLedger(7, 2, List.of(
                new LedgerEntry("web-0", "u0", "Deployment/web", "ReplicaSet", "web-7d", "rs", RestartStrategy.Evict,
                        1_800_000_000_123L, 5, null, false),
                new LedgerEntry("db-0", "u1", "StatefulSet/db", "StatefulSet", "db", "ss", RestartStrategy.RolloutRestart,
                        1_800_000_060_000L, 3, "2027-01-15T08:01:00Z", false),
                new LedgerEntry("web-1", "u2", "Deployment/web", "ReplicaSet", "web-7d", "rs", RestartStrategy.Evict,
                        1_800_000_120_000L, 5, null, true)),
                List.of("u0/app#1"),
                Map.of("Deployment/web", new RestartPace(Duration.ofSeconds(75), 1, 1_800_000_000_123L),
                        "StatefulSet/db", RestartPace.ASSUMED.withBudgetAllows(Integer.MAX_VALUE)));

        String text = LedgerCodec.write(ledger);

        assertThat(LedgerCodec.read(text)).isEqualTo(ledger);
        assertThat(text).contains("\"at\":\"2027-01-15T08:00:00.123Z\"");
    }

    @Test
    void absentIsEmptyAndGarbageIsAnError() {
        assertThat(LedgerCodec.read(null)).isEqualTo(RestartLedger.EMPTY);
        assertThat(LedgerCodec.read("")).isEqualTo(RestartLedger.EMPTY);
        assertThatThrownBy(() -> LedgerCodec.read("{\"recent\":[{\"pod\":\"x\"}]}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LedgerCodec.read("not json")).isInstanceOf(IllegalArgumentException.class);
    }
}
