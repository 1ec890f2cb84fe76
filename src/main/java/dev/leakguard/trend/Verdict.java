package dev.leakguard.trend;

public enum Verdict { INSUFFICIENT_DATA, HEALTHY, SUSPECT, LEAKING, UNKNOWN }
