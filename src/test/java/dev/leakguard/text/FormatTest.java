package dev.leakguard.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatTest {
    @Test
    void bytesUseBinaryUnitsLikeKubernetes() {
        assertThat(Format.bytes(512.0 * 1024 * 1024)).isEqualTo("512Mi");
        assertThat(Format.bytes(1.5 * 1024 * 1024 * 1024)).isEqualTo("1.5Gi");
        assertThat(Format.bytes(900)).isEqualTo("900");
        assertThat(Format.bytes(Double.NaN)).isEqualTo("unknown");
    }

    @Test
    void growthAndDurations() {
        assertThat(Format.growth(1024 * 1024 / 60.0)).isEqualTo("+1Mi/min");
        assertThat(Format.growth(-2048 / 60.0)).isEqualTo("-2Ki/min");
        assertThat(Format.duration(45)).isEqualTo("45s");
        assertThat(Format.duration(14 * 60 + 20)).isEqualTo("14m");
        assertThat(Format.duration(2 * 3600 + 5 * 60)).isEqualTo("2h5m");
        assertThat(Format.duration(76 * 3600 + 5 * 60)).as("no d unit: the policy's durations have none").isEqualTo("76h");
        assertThat(Format.duration(Double.POSITIVE_INFINITY)).isEqualTo("never");
        assertThat(Format.countGrowth(25 / 60.0)).isEqualTo("+25/min");
    }

}
