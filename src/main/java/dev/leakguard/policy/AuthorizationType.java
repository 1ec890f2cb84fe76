package dev.leakguard.policy;

/**
 * {@code spec.metrics.authorization.type}: {@code Bearer} sends the token held in a Secret of the
 * policy's namespace (prometheus-operator's {@code authorization}); {@code ServiceAccount} sends the
 * operator's own projected ServiceAccount token, for endpoints behind kube-rbac-proxy, which then
 * asks the API server whether the operator may read them.
 */
public enum AuthorizationType { Bearer, ServiceAccount }
