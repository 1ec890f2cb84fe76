package dev.leakguard.engine;

/**
 * A LeakPolicy as Events, evidence and the restart ledger need it: its name and its uid (Events
 * name the object they are about; evidence is owned by it, so deleting the policy deletes its evidence).
 */
public record PolicyRef(String namespace, String name, String uid) {
    public PolicyKey key() {
        return new PolicyKey(namespace, name);
    }
}
