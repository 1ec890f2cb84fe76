package dev.leakguard.api;

public enum ActionType { Annotate, Evict, RolloutRestart }
