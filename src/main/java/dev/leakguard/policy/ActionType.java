package dev.leakguard.policy;

/** What a policy does about a pod predicted to hit its limit ({@code spec.action.type}; constants spelled as users write them). */
public enum ActionType { Annotate, Evict, RolloutRestart }
