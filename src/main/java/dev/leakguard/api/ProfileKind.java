package dev.leakguard.api;

/** Lower-case constants because they are the values users write in YAML. */
public enum ProfileKind { go, jvm, none }
